// `import css from "./x.css?inline"`: Vite hands over the file's text, minified in the build.
declare module "*.css?inline" {
  const css: string;
  export default css;
}
