//! Whether the page is live in the browser yet. What the server cannot know (the person's time
//! zone) or should not draw (a composer that must outlive the thread's redraws) waits for it, so
//! hydration finds exactly the page the server sent.

use leptos::prelude::*;

#[derive(Clone, Copy)]
struct Hydrated(RwSignal<bool>);

/// Called once by the signed-in frame.
pub(crate) fn provide_hydrated() {
    let hydrated = RwSignal::new(false);
    provide_context(Hydrated(hydrated));
    // Effects run only in the browser, after hydration.
    Effect::new(move || hydrated.set(true));
}

/// True once the page is live in the browser; false on the server and while hydrating.
pub(crate) fn hydrated() -> bool {
    use_context::<Hydrated>().is_some_and(|Hydrated(h)| h.get())
}
