//! The API over the demo (its emulator and sample profiles), as the tray
//! agent runs it, for the API's own tests.

use alicred_core::api::{Api, NoHost, Runtime};
use alicred_core::paths::Paths;
use alicred_core::service::Alicred;
use alicred_core::store::secrets::MemoryStore;
use std::sync::Arc;

pub async fn demo_api(dir: &std::path::Path) -> (Api, alicred_demo::DemoCloud) {
    let alicred = Alicred::with_store(Paths::new(dir), Arc::new(MemoryStore::default()));
    let (cloud, _) = alicred_demo::start(&alicred, ([127, 0, 0, 1], 0).into(), None)
        .await
        .expect("demo");
    let runtime = Runtime::start_on(&alicred, Some(([127, 0, 0, 1], 0).into()))
        .await
        .expect("agent");
    (Api::with_runtime(alicred, runtime, Arc::new(NoHost)), cloud)
}
