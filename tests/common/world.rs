//! The world most tests start in: a server with the demo street, 城南社区's
//! id (城北社区's on request), and each demo user signed in once. An area
//! module adds its own helpers with [`area_world!`] and `impl World { … }`.

use serde_json::Value;

use super::{CHENGBEI, CHENGNAN, Session, TestApp, spawn_app_with};

/// Mutation and sign-in limits out of the way, for tests that make many
/// changes as a few users.
pub fn roomy(config: &mut api::Config) {
    config.limits.mutations_per_minute = 100_000;
    config.limits.logins_per_openid_per_minute = 1_000;
}

pub struct World {
    pub app: TestApp,
    pub chengnan: String,
    chengbei: tokio::sync::OnceCell<String>,
}

impl World {
    /// A server with the limits out of the way ([`roomy`]).
    pub async fn new() -> Self {
        Self::with(roomy).await
    }

    /// A server after `customise` has adjusted its configuration.
    pub async fn with(customise: impl FnOnce(&mut api::Config)) -> Self {
        let app = spawn_app_with(customise).await;
        let chengnan = app.community_id(CHENGNAN).await;
        Self { app, chengnan, chengbei: tokio::sync::OnceCell::new() }
    }

    /// 城北社区's id, looked up on first use (its secretary signs in for it).
    pub async fn chengbei(&self) -> String {
        self.chengbei.get_or_init(|| self.app.community_id(CHENGBEI)).await.clone()
    }

    /// `who`'s session, signed in on first use.
    pub async fn session(&self, who: &str) -> Session {
        self.app.session(who).await
    }

    /// `who`'s user id.
    pub async fn id_of(&self, who: &str) -> String {
        self.session(who).await.user_id
    }

    /// A new user who has joined 城南社区 as a resident ([`TestApp::newcomer`]); their id.
    pub async fn fresh_resident(&self, who: &str) -> String {
        self.app.newcomer(who).await.user_id
    }

    /// One GraphQL request as `who`.
    pub async fn gql(&self, who: &str, query: &str, variables: Value) -> Value {
        self.app.gql_as(who, query, variables).await
    }

    /// How many of `who`'s latest 100 notices are of `kind` about `subject_id`.
    pub async fn notices_about(&self, who: &str, kind: &str, subject_id: &str) -> usize {
        let inbox = "{ myNotifications(first: 100) { edges { node { kind subjectId } } } }";
        let resp = self.gql(who, inbox, serde_json::json!({})).await;
        super::payload(&resp)["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("no notices for {who}: {resp}"))
            .iter()
            .filter(|e| e["node"]["kind"] == kind && e["node"]["subjectId"] == subject_id)
            .count()
    }
}

/// Declares the module's own `World`: the common one (reached through
/// `Deref`), to which the module adds its helpers without their names
/// meeting another module's; `config = f` names the configuration `new`
/// starts with (default [`roomy`]). With fields, the common world is `base` and
/// the module writes its own `new`.
macro_rules! area_world {
    () => {
        $crate::common::area_world!(config = $crate::common::roomy);
    };
    (config = $customise:path) => {
        struct World($crate::common::World);

        impl std::ops::Deref for World {
            type Target = $crate::common::World;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        #[allow(dead_code)]
        impl World {
            async fn new() -> Self {
                Self::with($customise).await
            }

            async fn with(customise: impl FnOnce(&mut api::Config)) -> Self {
                Self($crate::common::World::with(customise).await)
            }
        }
    };
    ($($field:ident: $ty:ty),+ $(,)?) => {
        struct World {
            base: $crate::common::World,
            $($field: $ty),+
        }

        impl std::ops::Deref for World {
            type Target = $crate::common::World;

            fn deref(&self) -> &Self::Target {
                &self.base
            }
        }
    };
}
pub(crate) use area_world;
