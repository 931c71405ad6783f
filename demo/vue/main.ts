// The Vue 3 host page: mounts App on #app. The auth-* tags are custom elements for Vue's template
// compiler (isCustomElement in demo/vite.config.ts), so Vue renders them as they are.
import { createApp } from "vue";
import "../shared/demo.css";
import App from "./App.vue";

createApp(App).mount("#app");
