/** The names containing `filter` (trimmed, any case); all of them when it is empty. */
export function filterNames(names: string[], filter: string): string[] {
  const f = filter.trim().toLowerCase();
  return f ? names.filter((n) => n.toLowerCase().includes(f)) : names;
}
