//! The page shell: a skip link, the navigation of the tenant being looked at, the admin's tenant switcher, and
//! sign-out; then the page's own content.

use kurir_core::id::TenantId;
use maud::{html, Markup, DOCTYPE};

use crate::assets::{LIVE_SCRIPT_URL, STYLESHEET_URL};
use crate::web_auth::{Viewer, FORM_TOKEN_FIELD};
use crate::Dashboard;

/// Which part of the navigation a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Endpoints,
    Events,
    Catalog,
    Sources,
    Keys,
    Callouts,
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Overview,
        Section::Endpoints,
        Section::Events,
        Section::Catalog,
        Section::Sources,
        Section::Keys,
        Section::Callouts,
    ];

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Endpoints => "Endpoints",
            Section::Events => "Events",
            Section::Catalog => "Catalog",
            Section::Sources => "Sources",
            Section::Keys => "API keys",
            Section::Callouts => "Call-outs",
        }
    }

    fn path(self, tenant: &TenantId) -> String {
        match self {
            Section::Overview => format!("/ui/t/{tenant}"),
            Section::Endpoints => format!("/ui/t/{tenant}/endpoints"),
            Section::Events => format!("/ui/t/{tenant}/events"),
            Section::Catalog => format!("/ui/t/{tenant}/catalog"),
            Section::Sources => format!("/ui/t/{tenant}/sources"),
            Section::Keys => format!("/ui/t/{tenant}/api-keys"),
            Section::Callouts => format!("/ui/t/{tenant}/callouts"),
        }
    }
}

/// What the shell around a tenant's page needs.
pub struct Chrome {
    pub tenant: TenantId,
    pub section: Section,
    pub form_token: String,
    /// Every tenant, for the admin's switcher; empty for a tenant key.
    pub tenants: Vec<TenantId>,
    pub admin: bool,
}

impl Chrome {
    /// The shell for `viewer` looking at `tenant`'s `section`.
    pub async fn load(
        dashboard: &Dashboard,
        viewer: &Viewer,
        tenant: TenantId,
        section: Section,
    ) -> Result<Chrome, kurir_api::error::ApiError> {
        let tenants = if viewer.is_admin() {
            dashboard.app.store.list_tenants().await?.into_iter().map(|t| t.id).collect()
        } else {
            Vec::new()
        };
        Ok(Chrome { tenant, section, form_token: viewer.form_token(dashboard), tenants, admin: viewer.is_admin() })
    }

    /// The hidden field every form of this page carries.
    pub fn token_field(&self) -> Markup {
        token_field(&self.form_token)
    }

    /// A path under this tenant's pages.
    pub fn path(&self, rest: &str) -> String {
        format!("/ui/t/{}{rest}", self.tenant)
    }
}

/// The hidden field that carries a form token.
pub fn token_field(token: &str) -> Markup {
    html! { input type="hidden" name=(FORM_TOKEN_FIELD) value=(token); }
}

/// A tenant's page: the shell around `content`.
pub fn page(chrome: &Chrome, title: &str, content: Markup) -> Markup {
    let header = html! {
        header.top {
            a.brand href=(Section::Overview.path(&chrome.tenant)) { "kurir" }
            nav.main aria-label="Sections" {
                @for section in Section::ALL {
                    @let current = (section == chrome.section).then_some("page");
                    a href=(section.path(&chrome.tenant)) aria-current=[current] { (section.label()) }
                }
            }
            div.who {
                @if chrome.admin {
                    form method="get" action="/ui/switch" {
                        label.skip for="tenant-switch" { "Tenant" }
                        select #tenant-switch name="tenant" {
                            @for tenant in &chrome.tenants {
                                option value=(tenant) selected[*tenant == chrome.tenant] { (tenant) }
                            }
                        }
                        " "
                        button.secondary type="submit" { "Switch" }
                    }
                } @else {
                    span { "Tenant " strong { (chrome.tenant) } }
                }
                (sign_out_form(&chrome.form_token))
            }
        }
    };
    document(title, Some(header), content)
}

fn sign_out_form(token: &str) -> Markup {
    html! {
        form.inline method="post" action="/ui/sign-out" {
            (token_field(token))
            button.secondary type="submit" { "Sign out" }
        }
    }
}

/// A whole HTML document; `header` is absent on pages outside a tenant (sign-in, errors).
pub fn document(title: &str, header: Option<Markup>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · kurir" }
                link rel="stylesheet" href=(STYLESHEET_URL);
                script src=(LIVE_SCRIPT_URL) defer {}
            }
            body {
                a.skip href="#content" { "Skip to content" }
                @if let Some(header) = header { (header) }
                main #content tabindex="-1" { (content) }
            }
        }
    }
}
