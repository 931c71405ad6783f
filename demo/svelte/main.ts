// The Svelte 5 host page: mounts App on #app. The app is compiled as ordinary Svelte components
// (demo/vite.config.ts); the auth-* tags in its markup are custom elements, rendered as they are.
import { mount } from "svelte";
import "../shared/demo.css";
import App from "./App.svelte";

mount(App, { target: document.getElementById("app")! });
