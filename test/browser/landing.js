// Tells the test page that a redirect arrived here.
parent.postMessage({ landed: location.pathname + location.search }, location.origin);
