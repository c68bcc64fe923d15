import type { ReactNode } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { App } from "../src/App";
import { Settings } from "../src/pages/Settings";
import { AuthProvider, useAuth } from "../src/lib/auth";

/** Children once GET /api/auth/me answered a signed-in user (mockApi answers an admin by default). */
function SignedIn({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  return user ? children : null;
}

/** A page as the app shows it after sign-in: inside the auth context, with the user from mockApi. */
export function Authed({ children }: { children: ReactNode }) {
  return (
    <AuthProvider>
      <SignedIn>{children}</SignedIn>
    </AuthProvider>
  );
}

/** The router's current address, for tests to read: screen.getByTestId("location"). */
function Where() {
  const location = useLocation();
  return <output data-testid="location">{`${location.pathname}${location.search}`}</output>;
}

/** The whole app at ``path``. */
export function renderApp(path = "/") {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <App />
      <Where />
    </MemoryRouter>,
  );
}

/** The Settings page at /settings/<tab>, signed in. */
export function renderSettings(tab: string) {
  return render(
    <MemoryRouter initialEntries={[`/settings/${tab}`]}>
      <Authed>
        <Routes>
          <Route path="/settings/:tab" element={<Settings />} />
        </Routes>
      </Authed>
    </MemoryRouter>,
  );
}
