export interface ApiKey {
  name: string;
  key: string;
}

/** Parses `ROAR_ADMIN_API_KEYS`: `name:key,name:key` (several keys let one rotate without downtime). */
export function parseApiKeys(value: string | undefined): ApiKey[] {
  if (!value) return [];
  return value.split(',').map((pair) => {
    const i = pair.indexOf(':');
    const name = pair.slice(0, i).trim();
    const key = pair.slice(i + 1).trim();
    if (i <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(name) || key.length < 32) {
      throw new Error(
        'ROAR_ADMIN_API_KEYS must be name:key pairs, names of A-Z a-z 0-9 _ -, keys of 32+ characters',
      );
    }
    return { name, key };
  });
}
