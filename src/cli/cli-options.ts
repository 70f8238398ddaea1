/** Shared option parsing for commander: a repeatable option collects its values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
