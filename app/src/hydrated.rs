//! Whether the page is live in the browser yet. What the server cannot know (the person's time
//! zone), should not draw (a composer that must outlive the thread's redraws) or should not wait
//! for (the unread count) waits for it, so hydration finds exactly the page the server sent.

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

/// What the browser fetches once the page is live, and again whenever a signal `fetch` reads
/// changes; `None` until the first answer. The server renders the page without it: a
/// `LocalResource` read while rendering would make the enclosing Suspense give up on the server,
/// and the whole page would be drawn by the browser instead. Of overlapping fetches, only the
/// latest one's answer is kept, and an answer arriving after its component is gone is dropped.
pub(crate) fn fetched_in_browser<T, F>(fetch: impl Fn() -> F + 'static) -> ReadSignal<Option<T>>
where
    T: Send + Sync + 'static,
    F: Future<Output = T> + 'static,
{
    let value = RwSignal::new(None);
    let latest = StoredValue::new(0_u64);
    Effect::new(move || {
        let answer = fetch();
        latest.update_value(|n| *n += 1);
        let this = latest.get_value();
        leptos::task::spawn_local(async move {
            let answer = answer.await;
            if latest.try_get_value() == Some(this) {
                value.try_set(Some(answer));
            }
        });
    });
    value.read_only()
}
