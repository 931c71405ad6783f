import { expect, fixture, html } from "@open-wc/testing";
import { refreshSession } from "../dist/auth-elements.js";
import { rendered, resetMock, submitForm, until } from "../test/browser/helpers.js";

const password = (element: HTMLElement) => element.querySelector<HTMLInputElement>('input[name="password"]')!;

describe("the elements' custom-element class", () => {
  beforeEach(async () => {
    await resetMock();
    await refreshSession();
  });

  it("turns attributes into props, by their documented type, and follows their changes", async () => {
    const element = await rendered(await fixture<HTMLElementTagNameMap["auth-signup"]>(html`<auth-signup></auth-signup>`));
    expect(password(element).getAttribute("minlength")).to.equal("8");
    element.setAttribute("min-password-length", "12");
    await until(() => password(element).getAttribute("minlength") === "12", 1000, "the new minimum");
    expect(element.minPasswordLength).to.equal(12);
    element.removeAttribute("min-password-length");
    await until(() => password(element).getAttribute("minlength") === "8", 1000, "the default again");
    expect(element.minPasswordLength).to.equal(undefined);
  });

  // A property set before the element is defined: lazy-elements.test.ts (the newer elements).
  it("has a property per attribute", async () => {
    const element = await rendered(await fixture<HTMLElementTagNameMap["auth-signup"]>(html`<auth-signup></auth-signup>`));
    element.minPasswordLength = 10;
    await until(() => password(element).getAttribute("minlength") === "10", 1000, "the property's minimum");
    expect(element.hasAttribute("min-password-length")).to.equal(false);
  });

  it("survives a move within the page, and renders afresh when put back after removal", async () => {
    const wrapper = await fixture<HTMLElement>(
      html`<div>
        <section></section>
        <auth-login></auth-login>
      </div>`,
    );
    const element = await rendered(wrapper.querySelector("auth-login")!);
    submitForm(element, "not-an-address", "");
    await until(() => element.querySelector('[aria-invalid="true"]'), 1000, "a field error");
    wrapper.querySelector("section")!.append(element);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(element.querySelector('[aria-invalid="true"]'), "the same form, errors and all").to.exist;
    expect(element.querySelectorAll("form")).to.have.length(1);

    element.remove();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(element.childNodes).to.have.length(0);
    wrapper.append(element);
    await rendered(element);
    expect(element.querySelectorAll("form")).to.have.length(1);
    expect(element.querySelector('[aria-invalid="true"]')).to.equal(null);
  });
});
