// The newer elements' chunk (dist/chunks/account-elements.js): <auth-password-reset>,
// <auth-verify-email> and <auth-account>, with what they share (their form, English texts and
// styles). One chunk rather than three: whichever of them a page shows first brings all three, which
// costs less than three import lists of the entry's runtime. lazy-elements.ts imports it.
import "./auth-password-reset/auth-password-reset.js";
import "./auth-verify-email/auth-verify-email.js";
import "./auth-account/auth-account.js";

// For the messages test: the English of these elements, which every locale module must match.
export { accountEnglish } from "./account-messages.js";
