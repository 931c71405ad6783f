// The English texts of <auth-password-reset>, <auth-verify-email> and <auth-account>, with the
// error codes only their routes return. They ship in those elements' chunks, not in the entry:
// importing this module adds them to the built-in English (messages.ts). Other languages have
// them in their locale module (locales/).
import type { AccountMessageKey } from "./auth-elements.js";
import { addEnglish } from "./messages.js";

export const accountEnglish: Readonly<Record<AccountMessageKey, string>> = {
  new_password_label: "New password",
  current_password_label: "Current password",
  reset_request_submit: "Send me a link",
  reset_link_sent: "If an account exists for this address, a link to set a new password is on its way.",
  reset_submit: "Set new password",
  reset_done: "Your new password is set and you are signed in.",
  reset_token_invalid: "This link is no longer valid: it was used already or has expired. Ask for a new one.",
  verify_pending: "Confirming your e-mail address…",
  email_verified: "Your e-mail address is confirmed.",
  verification_token_invalid: "This link is no longer valid: it was used already or has expired. Ask for a new one.",
  verify_no_token: "Enter your e-mail address to get a new confirmation link.",
  retry: "Try again",
  sessions_heading: "Where you are signed in",
  sessions_loading: "Loading…",
  this_device: "This device",
  unknown_device: "Unknown device",
  signed_in_at: "Signed in: {time}",
  last_seen_at: "Last active: {time}",
  signout_others: "Sign out everywhere else",
  session_revoked: "That session is signed out.",
  others_revoked: "Every other session is signed out.",
  session_gone: "That session had already ended.",
  password_heading: "Change password",
  password_submit: "Change password",
  password_changed: "Your password is changed, and your other sessions are signed out.",
  current_password_wrong: "This is not your current password.",
  not_found: "This is not available here.",
  passkeys_heading: "Passkeys",
  passkeys_none: "No passkeys yet.",
  passkey_created_at: "Added: {time}",
  passkey_last_used_at: "Last used: {time}",
  passkey_never_used: "Not used yet",
  passkey_name_label: "Passkey name (optional)",
  passkey_add: "Add a passkey",
  passkey_added: "Passkey added: you can sign in with it.",
  passkey_remove: "Remove",
  passkey_remove_confirm: "Remove the passkey “{name}”? It will no longer sign you in.",
  passkey_removed: "The passkey is removed.",
  passkey_gone: "That passkey was already removed.",
  passkey_invalid: "The passkey could not be added. Try again.",
  passkey_exists: "This device already has a passkey for your account.",
};

addEnglish(accountEnglish);
