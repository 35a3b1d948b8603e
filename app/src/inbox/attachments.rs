//! Attachments in the composer: upload a file (with its progress) or pick one the organization
//! already keeps (customers' files and earlier uploads); it goes with the next message, the text
//! typed in the composer as its caption.

use crate::error::AppError;
use leptos::prelude::*;
use parley::domain::attachment::{FileCursor, FileLibrary, StoredFile};
use parley::domain::cloud::MediaKind;
use uuid::Uuid;

/// What goes with the next message: the file once stored, the upload on its way, or why not.
#[derive(Clone, Copy)]
pub(super) struct Attaching {
    pub file: RwSignal<Option<StoredFile>>,
    /// The name of the file being uploaded and how much of it has arrived, in percent.
    pub progress: RwSignal<Option<(String, u8)>>,
    pub error: RwSignal<Option<String>>,
}

impl Attaching {
    pub fn new() -> Self {
        Self { file: RwSignal::new(None), progress: RwSignal::new(None), error: RwSignal::new(None) }
    }

    fn stage(self, file: StoredFile) {
        self.error.set(None);
        self.file.set(Some(file));
    }
}

/// Uploads the first of `files` (pasted into the composer or dropped on it), if there is one.
/// Returns whether there was a file, so the caller keeps the browser from handling it too.
pub(super) fn attach_first(conversation: Uuid, files: Option<web_sys::FileList>, attaching: Attaching) -> bool {
    match files.and_then(|files| files.get(0)) {
        Some(file) => {
            upload(conversation, file, attaching);
            true
        }
        None => false,
    }
}

/// "Attach file" (an upload) and "Stored files" (a file the organization keeps).
#[component]
pub(super) fn AttachButtons(conversation: Uuid, attaching: Attaching) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let picking = RwSignal::new(false);
    let busy = move || attaching.progress.with(Option::is_some);
    let accept = MediaKind::ALL.iter().flat_map(|k| k.mime_types().iter().copied()).collect::<Vec<_>>().join(",");
    view! {
        <input
            node_ref=input
            type="file"
            class="visually-hidden"
            accept=accept
            aria-label="File to attach"
            data-testid="attach-input"
            on:change=move |_| {
                let Some(element) = input.get_untracked() else { return };
                let files = element.files();
                attach_first(conversation, files, attaching);
                // The same file may be chosen again after it was removed.
                element.set_value("");
            }
        />
        <button
            type="button"
            class="button button-small"
            title="Attach a photo, video, audio or document (or paste or drop it here)"
            disabled=busy
            on:click=move |_| {
                if let Some(element) = input.get_untracked() {
                    element.click();
                }
            }
        >
            "📎 Attach"
        </button>
        <button type="button" class="button button-small" aria-expanded=move || picking.get().to_string() disabled=busy on:click=move |_| picking.update(|p| *p = !*p)>
            "Stored files"
        </button>
        <Show when=move || picking.get()>
            <StoredFilesPicker
                on_pick=Callback::new(move |file| {
                    attaching.stage(file);
                    picking.set(false);
                })
                on_close=Callback::new(move |()| picking.set(false))
            />
        </Show>
    }
}

/// The staged file above the composer's text, or the upload's progress.
#[component]
pub(super) fn AttachmentChip(attaching: Attaching) -> impl IntoView {
    view! {
        {move || attaching.progress.get().map(|(name, percent)| view! {
            <div class="attachment-chip" role="status" aria-busy="true">
                <span>{format!("Uploading {name}… {percent}%")}</span>
                <progress max="100" value=percent aria-label="Upload progress"></progress>
            </div>
        })}
        {move || attaching.error.get().map(|error| view! { <p class="field-error" role="alert">{error}</p> })}
        {move || attaching.file.get().map(|file| view! {
            <div class="attachment-chip" data-testid="attachment">
                <FilePreview file=file.clone() />
                <span class="attachment-name">{file.describe()}</span>
                {(!file.kind.allows_caption()).then(|| view! {
                    <span class="muted small">{format!("{} files go without a caption", file.kind.label())}</span>
                })}
                <button type="button" class="button button-small" aria-label="Remove the attachment" on:click=move |_| attaching.file.set(None)>
                    "✕"
                </button>
            </div>
        })}
    }
}

/// A thumbnail for a photo or sticker, an icon for anything else.
#[component]
fn FilePreview(file: StoredFile) -> impl IntoView {
    match file.kind {
        MediaKind::Image | MediaKind::Sticker => {
            view! { <img class="attachment-thumb" src=format!("/media/files/{}", file.id) alt="" loading="lazy" /> }.into_any()
        }
        kind => {
            let icon = match kind {
                MediaKind::Video => "🎥",
                MediaKind::Audio => "🎤",
                _ => "📄",
            };
            view! { <span class="attachment-thumb attachment-icon" aria-hidden="true">{icon}</span> }.into_any()
        }
    }
}

/// The organization's stored files, newest first, a page at a time.
#[component]
fn StoredFilesPicker(on_pick: Callback<StoredFile>, on_close: Callback<()>) -> impl IntoView {
    let files = RwSignal::new(Vec::<StoredFile>::new());
    let next = RwSignal::new(None::<FileCursor>);
    let loaded = RwSignal::new(false);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let load = move |after: Option<FileCursor>| {
        loading.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = list_stored_files(after).await;
            loading.set(false);
            match result {
                Ok(FileLibrary { files: more, next: cursor }) => {
                    files.update(|f| f.extend(more));
                    next.set(cursor);
                    loaded.set(true);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    load(None);
    view! {
        <section
            class="stored-files"
            aria-label="Stored files"
            data-testid="stored-files"
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    on_close.run(());
                }
            }
        >
            <header class="stored-files-header">
                <h3>"Stored files"</h3>
                <button type="button" class="button button-small" on:click=move |_| on_close.run(())>"Close"</button>
            </header>
            {move || error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
            <Show when=move || loaded.get() && files.with(Vec::is_empty)>
                <p class="muted small">"No stored files yet. Files customers send, and files you upload with Attach, appear here."</p>
            </Show>
            <ul class="stored-files-list">
                <For each=move || files.get() key=|file| file.id let:file>
                    <StoredFileRow file on_pick on_deleted=Callback::new(move |id| files.update(|f| f.retain(|file| file.id != id))) />
                </For>
            </ul>
            <Show when=move || loading.get()>
                <p class="muted small" aria-busy="true">"Loading files…"</p>
            </Show>
            <Show when=move || next.with(Option::is_some) && !loading.get()>
                <button type="button" class="button" on:click=move |_| load(next.get_untracked())>"Load more"</button>
            </Show>
        </section>
    }
}

/// One stored file: picking it attaches it. An upload nobody has sent may also be deleted, once
/// confirmed, for the whole team.
#[component]
fn StoredFileRow(file: StoredFile, on_pick: Callback<StoredFile>, on_deleted: Callback<Uuid>) -> impl IntoView {
    let id = file.id;
    let name = StoredValue::new(file.describe());
    let confirming = RwSignal::new(false);
    let delete = ServerAction::<DeleteStoredFile>::new();
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            on_deleted.run(id);
        }
    });
    let deletable = file.unsent_upload;
    view! {
        <li class="stored-file-row">
            <button type="button" class="stored-file" on:click={
                let file = file.clone();
                move |_| on_pick.run(file.clone())
            }>
                <FilePreview file=file.clone() />
                <span class="stored-file-name">{name.get_value()}</span>
                <span class="muted small">{if file.uploaded { "Uploaded" } else { "From a customer" }}</span>
            </button>
            <Show when=move || deletable && !confirming.get()>
                <button type="button" class="button button-small stored-file-delete" aria-label=format!("Delete {}", name.get_value())
                    on:click=move |_| confirming.set(true)>"Delete"</button>
            </Show>
            <Show when=move || confirming.get()>
                <span class="stored-file-confirm small" role="group" aria-label=format!("Delete {}?", name.get_value())>
                    "Delete it for the whole team? "
                    <button type="button" class="button button-small button-danger" disabled=move || delete.pending().get()
                        on:click=move |_| { delete.dispatch(DeleteStoredFile { file: id }); }>"Delete"</button>
                    <button type="button" class="button button-small" on:click=move |_| confirming.set(false)>"Keep"</button>
                </span>
            </Show>
            {move || delete.value().get().and_then(Result::err).map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })}
        </li>
    }
}

/// Checks the file as WhatsApp would (format, size) and uploads it, reporting progress.
#[cfg(feature = "hydrate")]
fn upload(conversation: Uuid, file: web_sys::File, attaching: Attaching) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{FormData, ProgressEvent, XmlHttpRequest};

    attaching.error.set(None);
    if let Err(refused) = MediaKind::for_upload(&file.type_(), file.size() as u64) {
        attaching.error.set(Some(refused.to_string()));
        return;
    }
    let name = file.name();
    let request = (|| {
        let form = FormData::new()?;
        form.append_with_str("conversation", &conversation.to_string())?;
        form.append_with_blob_and_filename("file", &file, &name)?;
        let request = XmlHttpRequest::new()?;
        request.open("POST", "/media/uploads")?;
        Ok::<_, wasm_bindgen::JsValue>((request, form))
    })();
    let Ok((request, form)) = request else {
        attaching.error.set(Some("This browser cannot upload the file".into()));
        return;
    };
    let shown_name = name.clone();
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
        if ev.length_computable() && ev.total() > 0.0 {
            let percent = (ev.loaded() / ev.total() * 100.0).clamp(0.0, 100.0) as u8;
            attaching.progress.set(Some((shown_name.clone(), percent)));
        }
    });
    if let Ok(target) = request.upload() {
        target.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let finished = request.clone();
    // Called once, when the upload ends either way; it takes the progress handler with it.
    let on_end = Closure::once_into_js(move || {
        drop(on_progress);
        attaching.progress.set(None);
        let body = finished.response_text().ok().flatten().unwrap_or_default();
        match finished.status().unwrap_or(0) {
            200 => match serde_json::from_str::<StoredFile>(&body) {
                Ok(stored) => attaching.stage(stored),
                Err(_) => attaching.error.set(Some("The server's answer could not be read. Try again.".into())),
            },
            0 => attaching.error.set(Some("The upload failed: check the connection and try again.".into())),
            404 => attaching.error.set(Some("This conversation is no longer available.".into())),
            413 => attaching.error.set(Some("The file is larger than WhatsApp accepts.".into())),
            status => {
                let reason = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                    .unwrap_or_else(|| format!("The upload failed ({status}). Try again."));
                attaching.error.set(Some(reason));
            }
        }
    });
    request.set_onloadend(Some(on_end.unchecked_ref()));
    attaching.progress.set(Some((name, 0)));
    if request.send_with_opt_form_data(Some(&form)).is_err() {
        attaching.progress.set(None);
        attaching.error.set(Some("The upload could not start. Try again.".into()));
    }
}

/// Files are uploaded from the browser only.
#[cfg(not(feature = "hydrate"))]
fn upload(_: Uuid, _: web_sys::File, _: Attaching) {}

/// Queues a stored file to the conversation's customer, with the composer's text as its caption.
#[server]
pub async fn send_attachment(
    conversation: Uuid,
    file: Uuid,
    #[server(default)] caption: String,
    #[server(default)] reply_to: Option<Uuid>,
) -> Result<(), AppError> {
    use parley::domain::conversation::{ConversationId, MessageId};
    use parley::inbox::outbound::{self, ReplyTo};
    let (state, actor) = crate::context::actor().await?;
    let reply_to = reply_to.map(|m| ReplyTo::Message(MessageId(m)));
    outbound::send_file(&state.pool, &actor, ConversationId(conversation), file, &caption, reply_to).await?;
    Ok(())
}

/// A page of the organization's stored files for the picker.
#[server]
pub async fn list_stored_files(#[server(default)] after: Option<FileCursor>) -> Result<FileLibrary, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::media::attachments::library(&state.pool, &actor, after).await?)
}

/// Deletes an upload nobody has sent (see [`parley::media::attachments::delete_upload`]).
#[server]
pub async fn delete_stored_file(file: Uuid) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    parley::media::attachments::delete_upload(&state.pool, &state.media, &actor, file).await?;
    Ok(())
}
