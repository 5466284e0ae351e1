// Client-only SPA: state lives in IndexedDB and the hardware APIs exist only in the browser.
export const ssr = false;
export const prerender = false;
