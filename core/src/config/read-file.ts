import { readFileSync } from 'node:fs';

/** Reads a config file as bytes; throws an Error that names the file and the reason. */
export function readConfigFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.message;
    throw new Error(`Can't open ${path}: ${why}`);
  }
}
