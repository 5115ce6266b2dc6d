/** Sent on every Instructure call: Canvas and DAP reject requests without a User-Agent (contract section 0). */
export const USER_AGENT = 'canvas-credential-broker/0.1.0';
