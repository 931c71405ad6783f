// The short browser label of a session (GET /auth/sessions `userAgent`): browser and system from common User-Agent
// headers, a fallback for anything else, and never the header itself.
import { describe, expect, it } from "vitest";
import { userAgentLabel } from "../../../server/session/user-agent.js";

describe("userAgentLabel", () => {
  it.each([
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Linux"],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
      "Safari on macOS",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
      "Safari on iPhone",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
      "Edge on Windows",
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
      "Chrome on Android",
    ],
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome on Linux"],
    ["curl/8.5.0", "curl"],
    ["SomethingElse/1.0 (Linux)", "A browser on Linux"],
    ["", "Unknown browser"],
    [undefined, "Unknown browser"],
  ])("%j is %j", (header, label) => {
    expect(userAgentLabel(header)).toBe(label);
  });

  it("never returns more than a short label, whatever the header holds", () => {
    const label = userAgentLabel(`Mozilla/5.0 (X11; Linux x86_64) Chrome/1.0 ${"<script>".repeat(10_000)}`);
    expect(label).toBe("Chrome on Linux");
  });
});
