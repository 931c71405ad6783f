// The script of the account-lifecycle pages (/reset-password, /verify-email, /account): their
// markup holds the elements, which load "auth-elements" like any host page; this wires the texts,
// the switches and the session summary.
import "auth-elements";
import "./demo.css";
import { startChrome } from "./page-chrome.js";

startChrome();
