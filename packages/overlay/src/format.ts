const formats = new Map<string, Intl.NumberFormat>();

/** A compact number format for `locale`, made once per locale (construction is not cheap). */
function compactFormat(locale: string | undefined): Intl.NumberFormat {
  const key = locale ?? '';
  let format = formats.get(key);
  if (!format) {
    const options: Intl.NumberFormatOptions = {
      notation: 'compact',
      // Truncate, as the server's own text does: 999,999 must not claim "1M".
      roundingMode: 'trunc',
    };
    try {
      format = new Intl.NumberFormat(locale, options);
    } catch {
      // A malformed `lang` attribute must not blank the overlay: use the runtime's locale.
      format = new Intl.NumberFormat(undefined, options);
    }
    // Pages rarely use more than a couple of locales; the bound only guards against abuse.
    if (formats.size > 32) formats.clear();
    formats.set(key, format);
  }
  return format;
}

/**
 * "1.2M watching" in the viewer's locale: `1,2 Mio. watching` in German, `5900万 watching` in
 * Japanese. The count is truncated, never rounded up. `label` follows the number; the page
 * translates it (the element's `label` attribute), since numbers are all Intl can localise.
 */
export function formatWatching(total: number, locale?: string, label = 'watching'): string {
  const n = Number.isFinite(total) && total > 0 ? Math.floor(total) : 0;
  const number = compactFormat(locale).format(n);
  return label ? `${number} ${label}` : number;
}
