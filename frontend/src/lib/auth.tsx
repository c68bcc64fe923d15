// Who is signed in. On load the app asks GET /api/auth/me: 200 is the signed-in user, 401
// "setup_required" means no account exists yet, 401 "login_required" means sign in. Any later
// request answering one of those 401s (the session expired or was ended elsewhere) flips the state
// back, and the app shows the sign-in page with the current address as ?next=. A 403 "forbidden"
// asks again who is signed in (a role changed by an admin takes effect without a reload).
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { ApiError, api, messageOf, onAuthEvent, setCsrfToken } from "./api";
import type { Me } from "./types";

export type AuthState =
  | { status: "loading" }
  | { status: "unreachable"; message: string }
  | { status: "setup" }
  /** reason: "expired" when a signed-in session stopped working, "signed_out" after Sign out. */
  | { status: "signin"; reason?: "expired" | "signed_out" | "already_set_up" }
  | { status: "ready"; user: Me };

export interface AuthValue {
  state: AuthState;
  /** The signed-in user, or null. */
  user: Me | null;
  /** After a successful login or setup: the answer is the me-body. */
  signedIn: (me: Me) => void;
  /** Ends the session on the server, then shows the sign-in page. */
  signOut: () => Promise<void>;
  /** Shows the sign-in page (e.g. after "already set up"). */
  toSignIn: (reason?: "already_set_up") => void;
  /** Changes to the signed-in user that the server confirmed (two-factor on/off, a new CSRF token). */
  update: (patch: Partial<Me>) => void;
  /** Asks GET /api/auth/me again. */
  reload: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    onAuthEvent((event) => {
      if (event.type === "session") {
        setState({ status: "ready", user: event.me });
      } else if (event.type === "forbidden") {
        // Perhaps demoted meanwhile: ask who we are, so the controls match the role.
        api.me().then(
          (me) => {
            setCsrfToken(me.csrf_token);
            setState((prev) => (prev.status === "ready" && prev.user.role !== me.role ? { status: "ready", user: me } : prev));
          },
          () => undefined,
        );
      } else {
        setCsrfToken(null);
        setState((prev) => {
          if (event.code === "setup_required") return { status: "setup" };
          if (prev.status === "signin") return prev;
          return { status: "signin", reason: prev.status === "ready" ? "expired" : undefined };
        });
      }
    });
    (async () => {
      try {
        const me = await api.me();
        if (cancelled) return;
        setCsrfToken(me.csrf_token);
        setState({ status: "ready", user: me });
      } catch (err) {
        if (cancelled) return;
        if (err instanceof ApiError && err.status === 401) {
          setState(err.code === "setup_required" ? { status: "setup" } : { status: "signin" });
        } else {
          setState({ status: "unreachable", message: messageOf(err) });
        }
      }
    })();
    return () => {
      cancelled = true;
      onAuthEvent(null);
    };
  }, [attempt]);

  const signedIn = useCallback((me: Me) => {
    setCsrfToken(me.csrf_token);
    setState({ status: "ready", user: me });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch (err) {
      // Already signed out is signed out; anything else keeps the session and is reported.
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    setCsrfToken(null);
    setState({ status: "signin", reason: "signed_out" });
  }, []);

  const toSignIn = useCallback((reason?: "already_set_up") => {
    setCsrfToken(null);
    setState({ status: "signin", reason });
  }, []);

  const update = useCallback((patch: Partial<Me>) => {
    if (patch.csrf_token) setCsrfToken(patch.csrf_token);
    setState((prev) => (prev.status === "ready" ? { status: "ready", user: { ...prev.user, ...patch } } : prev));
  }, []);

  const reload = useCallback(() => {
    setState({ status: "loading" });
    setAttempt((n) => n + 1);
  }, []);

  const value = useMemo<AuthValue>(
    () => ({ state, user: state.status === "ready" ? state.user : null, signedIn, signOut, toSignIn, update, reload }),
    [state, signedIn, signOut, toSignIn, update, reload],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth() outside <AuthProvider>");
  return value;
}

/** The signed-in user; only for pages shown after sign-in. */
export function useUser(): Me {
  const { user } = useAuth();
  if (!user) throw new Error("useUser() while nobody is signed in");
  return user;
}

/** Admins change things; every other role only views. */
export function useCanEdit(): boolean {
  return useUser().role === "admin";
}

export const ROLE_LABEL: Record<string, string> = { admin: "Admin", viewer: "Viewer" };

/** A same-site path to return to after sign-in, or "/" (never another site: "//host" or "/\host"). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next.startsWith("/signin") || next.startsWith("/setup")) return "/";
  return next;
}
