// Shared by playwright.config.ts (which starts the server with it) and the specs.
export const E2E_ADMIN = { login: 'admin', password: 'e2e-admin-password-1' };
