// Sends the e-mail verification link again: the one account lifecycle action the four original
// elements use themselves (<auth-login> for `email_not_verified`, <auth-signup>'s "check your
// inbox"), so it is in the entry rather than with the others (account-api.ts).
import type { RequestOptions } from "./auth-elements.js";
import { request } from "./session-client.js";
import { endpointFor } from "./session-store.js";

/** Asks for a new verification link for `email`; resolves alike whether or not the account exists. */
export async function resendVerification(email: string, options: RequestOptions = {}): Promise<void> {
  await request(endpointFor(options.endpoint), "/email-verification/resend", "POST", { email });
}
