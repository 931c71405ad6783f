// Script of the iframe pages the browser tests open (tab.html, csp.html): loads the
// built bundle like a host page would, reports to the test page through postMessage, and obeys
// its {call} requests so a test can act "in another tab".
const params = new URLSearchParams(location.search);
const violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  violations.push({ directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample });
});

// ?element=auth-gate&redirect=/x renders that element with that redirect (and lang, endpoint), for
// the tests of redirects, links opened with a token and languages. It is in the page before the
// bundle runs, as an element of the page's HTML would be.
if (params.has("element")) {
  const element = document.createElement(params.get("element"));
  for (const name of ["redirect", "lang", "endpoint"]) if (params.get(name)) element.setAttribute(name, params.get(name));
  if (element.localName === "auth-gate") element.innerHTML = '<p>members</p><p slot="anonymous">guests</p>';
  document.body.append(element);
}

// ?session=<JSON> renders <meta name="auth-session" content="<JSON>">, as a server-rendering host would.
if (params.has("session")) {
  const meta = Object.assign(document.createElement("meta"), { name: "auth-session", content: params.get("session") });
  document.head.append(meta);
}

const bundle = await import("/dist/auth-elements.js");
const report = (message) => parent.postMessage(message, location.origin);

bundle.session.subscribe((state) => report({ session: state }));

window.addEventListener("message", async (event) => {
  if (event.origin !== location.origin || !event.data?.call) return;
  const { call, args = [] } = event.data;
  try {
    report({ result: call, value: call === "violations" ? violations : await bundle[call](...args) });
  } catch (error) {
    report({ result: call, error: String(error) });
  }
});

report({ ready: true, violations });
