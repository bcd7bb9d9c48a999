import { Text as InkText } from 'ink';
import type { ComponentProps } from 'react';

/**
 * Ink's Text, honouring NO_COLOR (https://no-color.org): when it is set and not empty, no
 * colour is added; bold, dim and inverse stay, since they carry meaning (the selected row,
 * the active tab) and are not colours. Ink's own colour detection does not read NO_COLOR.
 */
export function Text({ color, backgroundColor, ...rest }: ComponentProps<typeof InkText>) {
  const plain = !!process.env.NO_COLOR;
  return <InkText {...rest} {...(plain ? {} : { color, backgroundColor })} />;
}

/** A colour for props outside Text (Box borders), dropped under NO_COLOR. */
export const hue = <T extends string>(c: T): T | undefined => (process.env.NO_COLOR ? undefined : c);
