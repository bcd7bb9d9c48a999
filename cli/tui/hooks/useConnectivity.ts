import { useEffect, useState } from 'react';
import type { Me } from '../../../shared/schemas.js';
import { errorText, isOffline, type TuiData } from '../data.js';

/**
 * Who the token is, and whether the server answers. A token the server cannot be asked
 * about falls back to the identity saved at login and starts offline.
 */
export function useConnectivity(data: TuiData, fallbackMe: Me | undefined) {
  const [me, setMe] = useState<Me | null>(null);
  const [meError, setMeError] = useState<string | null>(null);
  const [online, setOnline] = useState(true);
  useEffect(() => {
    data.me().then(
      (m) => setMe(m),
      (e) => {
        if (isOffline(e) && fallbackMe) {
          setOnline(false);
          setMe(fallbackMe);
        } else setMeError(errorText(e));
      },
    );
  }, [data, fallbackMe]);
  return { me, meError, online, setOnline };
}
