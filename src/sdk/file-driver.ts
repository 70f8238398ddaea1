/**
 * Keys from a dotenv file written by the env-file sink. Sinks replace the file
 * atomically (write + rename), which gives it a new inode, so the watch is on the
 * directory, filtered by file name; a poll catches what a watch misses (network file
 * systems, containers with bind mounts). A read that fails keeps the last good keys.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { KeySourceError, NoKeyError, type KeyDriver, type SdkKey } from './sdk-types.js';
import { keysFromVariables, parseDotenv } from './variable-keys.js';

export function createFileDriver(options: { file: string; variable: string; pollIntervalMilliseconds?: number; watch?: boolean }): KeyDriver {
  const { file, variable } = options;
  const pollInterval = options.pollIntervalMilliseconds ?? 1000;

  async function read(): Promise<{ text: string; keys: SdkKey[] }> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new KeySourceError(`could not read ${file} (${code})`);
    }
    const values = parseDotenv(text);
    return { text, keys: keysFromVariables(variable, (name) => values.get(name), [...values.keys()]) };
  }

  return {
    async load() {
      const { keys } = await read();
      if (keys.length === 0) throw new NoKeyError(`${file} has no ${variable} or ${variable}_V<n> variable`);
      return { keys, generation: null };
    },

    watch(emit, onError) {
      let lastText: string | undefined;
      let stopped = false;
      let checking = false;
      let again = false;

      const check = async (): Promise<void> => {
        if (stopped) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          const { text, keys } = await read();
          if (text !== lastText && keys.length > 0) {
            lastText = text;
            emit({ keys, generation: null });
          }
        } catch (error) {
          onError(error as Error);
        } finally {
          checking = false;
          if (again) {
            again = false;
            void check();
          }
        }
      };

      let watcher: FSWatcher | undefined;
      if (options.watch !== false) {
        try {
          watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
            if (name === null || name === basename(file)) void check();
          });
          watcher.on('error', () => {
            watcher?.close();
            watcher = undefined;
          });
        } catch {
          watcher = undefined; // The poll below still works.
        }
      }
      const timer = setInterval(() => void check(), pollInterval);
      timer.unref();
      void check();
      return () => {
        stopped = true;
        clearInterval(timer);
        watcher?.close();
      };
    },
  };
}

export function createEnvironmentDriver(options: { env: string; environment?: Record<string, string | undefined> }): KeyDriver {
  return {
    async load() {
      const environment = options.environment ?? process.env;
      const keys = keysFromVariables(options.env, (name) => environment[name], Object.keys(environment));
      if (keys.length === 0) throw new NoKeyError(`the environment has no ${options.env} or ${options.env}_V<n> variable`);
      return { keys, generation: null };
    },
  };
}
