// The team: an admin invites an admin, operator or viewer to the organisation (inviteOperator).
// Without a password the API returns an invitation token, shown once, for the invitee to choose one.

import { gql, session } from "../api.js";
import { act, field, h, select } from "../ui.js";

export async function teamPage() {
  const parts = [
    h("h1", {}, "Team"),
    h(
      "p",
      { class: "muted" },
      "Admins manage accounts and act; operators act on stations, alerts, sessions and prices; viewers read only.",
    ),
  ];
  if (session.role !== "admin") {
    parts.push(h("p", {}, "Only an admin of your organisation invites people."));
    return h("section", {}, parts);
  }
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "off" });
  const name = h("input", { name: "name", maxlength: 100 });
  const role = select([["OPERATOR", "Operator"], ["VIEWER", "Viewer"], ["ADMIN", "Admin"]], "OPERATOR", { name: "role" });
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", minlength: 8 });
  const out = h("p", { class: "notice", hidden: true });
  const token = h("div", { class: "invitation", hidden: true });
  const button = h("button", { type: "submit", "data-action": "invite" }, "Invite");
  const form = h(
    "form",
    { class: "card grid-form", "aria-labelledby": "invite-title" },
    h("h2", { id: "invite-title" }, "Invite someone"),
    field("Email", email),
    field("Name", name),
    field("Role", role),
    field("Password", password, "Left empty: an invitation token is shown for them to choose one"),
    h("div", { class: "form-end" }, button, out),
    token,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    token.hidden = true;
    const r = await act(
      button,
      out,
      () =>
        gql("InviteOperator", {
          input: { email: email.value.trim(), name: name.value.trim(), role: role.value, password: password.value || null },
        }),
      (res) => `Invited ${res.inviteOperator.operator.email} as ${res.inviteOperator.operator.role.toLowerCase()}.`,
    );
    const invitation = r && r.inviteOperator.invitationToken;
    if (invitation) {
      token.replaceChildren(
        h("p", {}, "Pass this invitation token on to them; it is shown only now and is valid for 7 days:"),
        h("input", { readonly: true, value: invitation, "aria-label": "Invitation token", class: "token", onfocus: (ev) => ev.target.select() }),
      );
      token.hidden = false;
    }
  });
  parts.push(form);
  return h("section", {}, parts);
}
