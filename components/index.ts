// The bundle entry (dist/auth-elements.js): defines the four elements and exports the store and
// its actions, so framework code shares the elements' session. Its public types live in
// auth-elements.d.ts; the checks at the bottom keep these exports and those types in step.
import type * as Public from "./auth-elements.js";
import "./auth-login/auth-login.js";
import "./auth-signup/auth-signup.js";
import "./auth-logout/auth-logout.js";
import "./auth-gate/auth-gate.js";
import { configure } from "./configure.js";
import { messages } from "./messages.js";
import { apiFetch, login, logout, refreshSession, session, signup } from "./session-store.js";

export { apiFetch, configure, login, logout, messages, refreshSession, session, signup };

// Type-level only (erased from the bundle): each export must match its published declaration.
session satisfies typeof Public.session;
login satisfies typeof Public.login;
signup satisfies typeof Public.signup;
logout satisfies typeof Public.logout;
refreshSession satisfies typeof Public.refreshSession;
apiFetch satisfies typeof Public.apiFetch;
configure satisfies typeof Public.configure;
messages satisfies typeof Public.messages;
