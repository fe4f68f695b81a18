import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, writeTempFile } from './files';

describe('writeTempFile', () => {
  it('creates parent folders and writes bytes exactly', () => {
    const dir = makeTempDir();
    const file = writeTempFile(dir, 'a/b/c.csv', Buffer.from('é,ü\r\n'));
    expect(file).toBe(path.join(dir, 'a', 'b', 'c.csv'));
    expect(fs.readFileSync(file)).toEqual(Buffer.from('é,ü\r\n'));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
