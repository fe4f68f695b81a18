import path from 'node:path';
import { readOrCreateDevSecret } from '@strongroom/auth';
import { makeTempDir } from '@strongroom/testing';
import { sourceRootsSetting } from './commands/serve';
import { loadConfig } from './config';
import { callMetadata, configureCredentials } from './engine-client';

/**
 * The CLI's identity and defaults by environment (issue 16, items 3 and 4): a token given wins; outside
 * production a short-lived development token is minted from the home's development secret (zero setup); in
 * production none is — calls go out without credentials, and the engine refuses them. In production the
 * folder a command was started from is no source root.
 */
describe('the CLI by environment', () => {
  const home = makeTempDir();
  readOrCreateDevSecret(home);
  const bearer = () => callMetadata().get('authorization')[0];

  it('sends STRONGROOM_TOKEN when given, mints a development token outside production, and none in production', () => {
    configureCredentials({ token: 'given-token', production: true, home });
    expect(bearer()).toBe('Bearer given-token');
    configureCredentials({ token: undefined, production: false, home });
    expect(bearer()).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    configureCredentials({ token: undefined, production: true, home });
    expect(bearer()).toBeUndefined();
  });

  it('leaves the current folder out of the source roots in production', () => {
    const dev = loadConfig({ STRONGROOM_HOME: home });
    const prod = loadConfig({ STRONGROOM_HOME: home, STRONGROOM_ENV: 'production' });
    expect(sourceRootsSetting(dev).split(path.delimiter)).toEqual([path.join(home, 'inbox'), process.cwd()]);
    expect(sourceRootsSetting(prod).split(path.delimiter)).toEqual([path.join(home, 'inbox')]);
  });
});
