/**
 * The statuses the device shows, as the manual names them. A leaf module: the machine projects
 * its states onto them, and the messages and pages display them.
 * @category Pages and tokens
 */
export type TokenStatus = 'not-acquired' | 'waiting-for-authorization' | 'acquired' | 'invalid';
