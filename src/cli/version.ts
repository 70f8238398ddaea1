/** rekey's version: one place, read by `--version`, SARIF reports and the help text. */
export const VERSION = '0.1.0';
