/**
 * The command a healthcheck's `test` runs, as the engine runs it: `CMD-SHELL` through
 * `/bin/sh -c`, `CMD` as given. Undefined where there is none to run (`NONE`, an empty or
 * inherited test).
 */
export function healthcheckArgv(test: string[] | undefined): string[] | undefined {
  const [form, ...args] = test ?? [];
  if (form === 'CMD-SHELL' && args.length) return ['/bin/sh', '-c', args.join(' ')];
  if (form === 'CMD' && args.length) return args;
  return undefined;
}
