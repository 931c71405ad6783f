// The React 19 host page: renders App into #root.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "../shared/demo.css";
import { App } from "./App.js";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
