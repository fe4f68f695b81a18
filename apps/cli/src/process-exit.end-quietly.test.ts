import { EventEmitter } from 'node:events';
import { endQuietlyWhenReaderGoes } from './process-exit';

const errno = (code: string) => Object.assign(new Error(`write ${code}`), { code });

describe('endQuietlyWhenReaderGoes', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it("ends with the command's code when the reader has gone away (EPIPE), 0 while the command still runs", () => {
    const stream = new EventEmitter();
    const exit = jest.fn();
    endQuietlyWhenReaderGoes(stream, exit);
    stream.emit('error', errno('EPIPE'));
    expect(exit).toHaveBeenLastCalledWith(0);
    process.exitCode = 3;
    stream.emit('error', errno('EPIPE'));
    expect(exit).toHaveBeenLastCalledWith(3);
  });

  it('throws any other write error, as an unhandled stream error would', () => {
    const stream = new EventEmitter();
    const exit = jest.fn();
    endQuietlyWhenReaderGoes(stream, exit);
    expect(() => stream.emit('error', errno('EIO'))).toThrow('write EIO');
    expect(exit).not.toHaveBeenCalled();
  });
});
