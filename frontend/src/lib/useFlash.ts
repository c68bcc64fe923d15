import { useEffect, useState } from "react";
import { useLocation, useNavigate } from "react-router";

const flashOf = (state: unknown) => (state as { flash?: string } | null)?.flash;

/**
 * A one-time message handed over in the router state ("Monitor saved."): shown on the page it was
 * sent to, then removed from the history entry so a reload or Back does not show it again.
 */
export function useFlash(): string | undefined {
  const location = useLocation();
  const navigate = useNavigate();
  const [shown, setShown] = useState(() => ({ path: location.pathname, flash: flashOf(location.state) }));
  if (shown.path !== location.pathname) setShown({ path: location.pathname, flash: flashOf(location.state) });
  useEffect(() => {
    if (flashOf(location.state)) navigate(`${location.pathname}${location.search}`, { replace: true, state: null });
  }, [location, navigate]);
  return shown.path === location.pathname ? shown.flash : flashOf(location.state);
}
