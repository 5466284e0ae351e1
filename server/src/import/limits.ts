// Size limits of imports (M14), shared by the upload routes and the folder imports.
export const MAX_CSV_CHARS = 20 * 1024 * 1024;
export const MAX_KEM_BYTES = 10 * 1024 * 1024;
