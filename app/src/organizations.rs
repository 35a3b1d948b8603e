use leptos::prelude::*;
#[component] pub fn NewOrganizationPage() -> impl IntoView { view! { <p>"wip"</p> } }
