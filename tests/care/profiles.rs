// Care profiles, consent and health notes, and the sensitive-access log, end
// to end as the demo users: 吴奶奶 (demo-elder) is looked after by 吴网格员
// (demo-grid) and her household lead 龙阿姨 (demo-resident-1).

use crate::common::*;
use chrono::Duration;
use domain::Clock;
use futures_util::future::join_all;
use serde_json::{Value, json};

const SAVE: &str = "mutation($input: CareProfileInput!) { saveCareProfile(input: $input) { id needs livesAlone \
                    visitIntervalDays gridWorker { id } householdLead { id } } }";
const PROFILE: &str = "query($e: ID!) { careProfile(elderId: $e) { id phone address contactsMasked \
                       emergencyContacts { name relation phone } consent { stands } healthNotes { body writtenBy { id } } } }";
const NEEDS_ONLY: &str = "query($e: ID!) { careProfile(elderId: $e) { id needs } }";
const CONSENT: &str = "mutation($input: CareConsentInput!) { recordCareConsent(input: $input) { id givenBy \
                       guardianName guardianRelation wordingVersion recordedBy { id } stands } }";
const WITHDRAW: &str =
    "mutation($e: ID!) { withdrawCareConsent(elderId: $e) { id stands withdrawnAt withdrawalRecordedBy { id } } }";
const NOTE: &str = "mutation($e: ID!, $b: String!) { addHealthNote(elderId: $e, body: $b) { id body } }";
const LOG: &str = "query($c: ID!, $s: ID) { sensitiveAccessLog(communityId: $c, subjectId: $s) { totalCount \
                   edges { node { accessor { id displayName } subject { id } field purpose community { name } } } } }";
const MY_LOG: &str = "{ myDataAccessLog { totalCount edges { node { accessor { displayName } field purpose } } } }";

const ELDER_PHONE: &str = "0855-3331234";
const ELDER_ADDRESS: &str = "城南社区1栋1单元101";
const CONTACT_PHONE: &str = "13600001111";
const NOTE_TEXT: &str = "高血压，每天早上服药一次";

// `grid` (demo-grid) and `other_grid` (杨大哥, appointed) are grid workers of
// 第1网格, where 吴奶奶 lives; `far_grid` (王党员, appointed) of 第2网格.
area_world!(secretary: Session, grid: Session, other_grid: Session, far_grid: Session, lead: Session, member: Session, elder: Session, stranger: Session);

impl World {
    async fn new() -> Self {
        let base = crate::common::World::new().await;
        let (app, c) = (&base.app, &base.chengnan);
        let secretary = app.login("demo-secretary").await;
        let grid = app.login("demo-grid").await;
        let other_grid = app.login("demo-resident-2").await;
        let far_grid = app.login("demo-member-2").await;
        let grids = app.grids("demo-secretary", c).await;
        for (who, grid) in [(&other_grid, &grids[0]), (&far_grid, &grids[1])] {
            let appointed = app
                .gql(
                    Some(&secretary.access_token),
                    APPOINT,
                    json!({ "unit": grid, "u": who.user_id, "r": "GRID_WORKER" }),
                )
                .await;
            data(&appointed, "appoint");
        }
        let lead = app.login("demo-resident-1").await;
        let member = app.login("demo-member-1").await;
        let elder = app.login("demo-elder").await;
        let stranger = app.login("demo-resident-3").await;
        Self { base, secretary, grid, other_grid, far_grid, lead, member, elder, stranger }
    }

    fn profile_input(&self) -> Value {
        json!({
            "communityId": self.chengnan,
            "elderId": self.elder.user_id,
            "needs": ["MOBILITY", "MEDICATION_REMINDERS"],
            "livesAlone": true,
            "gridWorkerId": self.grid.user_id,
            "householdLeadId": self.lead.user_id,
            "address": ELDER_ADDRESS,
            "emergencyContacts": [{ "name": "吴小梅", "relation": "女儿", "phone": CONTACT_PHONE }],
        })
    }

    async fn gql(&self, who: &Session, query: &str, vars: Value) -> Value {
        self.app.gql(Some(&who.access_token), query, vars).await
    }

    async fn with_profile(self) -> Self {
        let saved = self.gql(&self.grid, SAVE, json!({ "input": self.profile_input() })).await;
        data(&saved, "saveCareProfile");
        self
    }

    async fn consent(&self, by: &Session) -> Value {
        self.gql(
            by,
            CONSENT,
            json!({ "input": { "elderId": self.elder.user_id, "givenBy": "SELF", "wordingVersion": "2026-01" } }),
        )
        .await
    }

    async fn note(&self, by: &Session, body: &str) -> Value {
        self.gql(by, NOTE, json!({ "e": self.elder.user_id, "b": body })).await
    }

    async fn profile(&self, who: &Session) -> Value {
        self.gql(who, PROFILE, json!({ "e": self.elder.user_id })).await
    }

    async fn log_count(&self) -> u64 {
        let log = self.gql(&self.secretary, LOG, json!({ "c": self.chengnan, "s": self.elder.user_id })).await;
        data(&log, "sensitiveAccessLog")["totalCount"].as_u64().unwrap()
    }
}

// ---------------------------------------------------------------------------
// Who sees what
// ---------------------------------------------------------------------------

#[tokio::test]
async fn each_role_sees_health_notes_only_when_assigned_and_while_consent_stands() {
    let w = World::new().await.with_profile().await;
    data(&w.consent(&w.grid).await, "recordCareConsent");
    data(&w.note(&w.grid, NOTE_TEXT).await, "addHealthNote");

    for (who, name) in [
        (&w.secretary, "secretary"),
        (&w.grid, "assigned grid worker"),
        (&w.lead, "household lead"),
        (&w.elder, "elder"),
    ] {
        let seen = w.profile(who).await;
        let p = data(&seen, "careProfile");
        assert_eq!(p["healthNotes"][0]["body"], NOTE_TEXT, "{name}: {seen}");
        assert_eq!(p["phone"], ELDER_PHONE, "{name}");
        assert_eq!(p["address"], ELDER_ADDRESS, "{name}");
        assert_eq!(p["emergencyContacts"][0]["phone"], CONTACT_PHONE, "{name}");
        assert_eq!(p["contactsMasked"], false, "{name}");
        assert_eq!(p["consent"]["stands"], true, "{name}");
    }

    // Another grid worker of her grid sees the profile, masked, and nothing about notes.
    let seen = w.profile(&w.other_grid).await;
    let p = data(&seen, "careProfile");
    assert!(p["healthNotes"].is_null(), "{seen}");
    assert!(p["consent"].is_null(), "{seen}");
    assert_eq!(p["phone"], "0855-****1234");
    assert_eq!(p["address"], "城南社区1栋****");
    assert_eq!(p["emergencyContacts"][0]["phone"], "136****1111");
    assert_eq!(p["contactsMasked"], true);
    assert!(!seen.to_string().contains("高血压"));

    // Another grid's worker, a party member and a stranger from another
    // community do not learn the profile exists.
    for who in [&w.far_grid, &w.member, &w.stranger] {
        let seen = w.profile(who).await;
        assert_eq!(error_code(&seen), "NOT_FOUND", "{seen}");
        assert!(!seen.to_string().contains("高血压"));
    }

    // Withdrawn: hidden at once for everyone, and no new notes.
    let withdrawn = w.gql(&w.elder, WITHDRAW, json!({ "e": w.elder.user_id })).await;
    let withdrawn = data(&withdrawn, "withdrawCareConsent");
    assert_eq!(withdrawn["stands"], false);
    assert_eq!(withdrawn["withdrawalRecordedBy"]["id"], w.elder.user_id.as_str());
    for who in [&w.secretary, &w.grid, &w.lead, &w.elder] {
        let seen = w.profile(who).await;
        assert_eq!(data(&seen, "careProfile")["healthNotes"], json!([]), "{seen}");
        assert!(data(&seen, "careProfile")["consent"].is_null());
    }
    assert_eq!(error_code(&w.note(&w.grid, "再记一条").await), "INVALID_STATE");
}

#[tokio::test]
async fn health_notes_need_consent_and_an_assigned_writer() {
    let w = World::new().await.with_profile().await;
    assert_eq!(error_code(&w.note(&w.grid, NOTE_TEXT).await), "INVALID_STATE");
    data(&w.consent(&w.secretary).await, "recordCareConsent");
    assert_eq!(error_code(&w.note(&w.other_grid, NOTE_TEXT).await), "FORBIDDEN");
    assert_eq!(error_code(&w.note(&w.far_grid, NOTE_TEXT).await), "NOT_FOUND");
    assert_eq!(error_code(&w.note(&w.elder, NOTE_TEXT).await), "FORBIDDEN");
    assert_eq!(error_code(&w.note(&w.member, NOTE_TEXT).await), "NOT_FOUND");
    assert_eq!(error_code(&w.note(&w.stranger, NOTE_TEXT).await), "NOT_FOUND");
    let empty = w.note(&w.grid, "   ").await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
    assert_eq!(empty["errors"][0]["extensions"]["field"], "body");
    let long = w.note(&w.lead, &"药".repeat(1001)).await;
    assert_eq!(long["errors"][0]["extensions"]["field"], "body");
    assert_eq!(data(&w.note(&w.lead, NOTE_TEXT).await, "addHealthNote")["body"], NOTE_TEXT);
    assert_eq!(data(&w.note(&w.secretary, "血糖正常").await, "addHealthNote")["body"], "血糖正常");
    let seen = w.profile(&w.grid).await;
    assert_eq!(data(&seen, "careProfile")["healthNotes"][0]["body"], "血糖正常", "newest first");
}

// ---------------------------------------------------------------------------
// The access log
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_access_log_records_each_sensitive_read_and_nothing_else() {
    let w = World::new().await.with_profile().await;
    data(&w.consent(&w.grid).await, "recordCareConsent");
    data(&w.note(&w.grid, NOTE_TEXT).await, "addHealthNote");
    assert_eq!(w.log_count().await, 0, "writing is not reading");

    // Fields not asked for are not read.
    data(&w.gql(&w.grid, NEEDS_ONLY, json!({ "e": w.elder.user_id })).await, "careProfile");
    // Masked values reveal nothing; the elder reading her own is not logged.
    data(&w.profile(&w.other_grid).await, "careProfile");
    data(&w.profile(&w.elder).await, "careProfile");
    assert_eq!(w.log_count().await, 0);

    let phone_only =
        w.gql(&w.grid, "query($e: ID!) { careProfile(elderId: $e) { phone } }", json!({ "e": w.elder.user_id })).await;
    assert_eq!(data(&phone_only, "careProfile")["phone"], ELDER_PHONE);
    assert_eq!(w.log_count().await, 1);

    data(&w.profile(&w.lead).await, "careProfile");
    let log = w.gql(&w.secretary, LOG, json!({ "c": w.chengnan, "s": w.elder.user_id })).await;
    let log = data(&log, "sensitiveAccessLog");
    assert_eq!(log["totalCount"], 5, "{log}");
    let mut fields: Vec<(String, String)> = log["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            assert_eq!(n["subject"]["id"], w.elder.user_id.as_str());
            assert_eq!(n["purpose"], "CARE_PROFILE_VIEW");
            assert_eq!(n["community"]["name"], CHENGNAN);
            (n["accessor"]["id"].as_str().unwrap().to_owned(), n["field"].as_str().unwrap().to_owned())
        })
        .collect();
    fields.sort();
    let lead = w.lead.user_id.clone();
    let mut expected = vec![
        (w.grid.user_id.clone(), "PHONE".to_owned()),
        (lead.clone(), "PHONE".to_owned()),
        (lead.clone(), "ADDRESS".to_owned()),
        (lead.clone(), "EMERGENCY_CONTACT_PHONE".to_owned()),
        (lead.clone(), "HEALTH_NOTES".to_owned()),
    ];
    expected.sort();
    assert_eq!(fields, expected);

    // The elder sees who read her data; reading the log adds nothing to it.
    let mine = w.gql(&w.elder, MY_LOG, json!({})).await;
    let mine = data(&mine, "myDataAccessLog");
    assert_eq!(mine["totalCount"], 5);
    assert_eq!(mine["edges"][0]["node"]["accessor"]["displayName"], "龙阿姨");
    assert_eq!(w.log_count().await, 5);
    // Others have no reads of their data.
    assert_eq!(data(&w.gql(&w.grid, MY_LOG, json!({})).await, "myDataAccessLog")["totalCount"], 0);

    // Only the secretary reads the community's log.
    for who in [&w.grid, &w.lead, &w.member, &w.elder] {
        assert_eq!(error_code(&w.gql(who, LOG, json!({ "c": w.chengnan, "s": null })).await), "FORBIDDEN");
    }
    assert_eq!(error_code(&w.gql(&w.stranger, LOG, json!({ "c": w.chengnan, "s": null })).await), "NOT_FOUND");
}

// ---------------------------------------------------------------------------
// Profiles and consent
// ---------------------------------------------------------------------------

#[tokio::test]
async fn saving_a_profile_checks_its_input_and_who_saves_it() {
    let w = World::new().await;
    let base = w.profile_input();
    let bad = |patch: Value| {
        let mut input = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };
    for (patch, field) in [
        (json!({ "visitIntervalDays": 0 }), "visitIntervalDays"),
        (json!({ "visitIntervalDays": 366 }), "visitIntervalDays"),
        (json!({ "gridWorkerId": w.member.user_id }), "gridWorkerId"),
        (json!({ "householdLeadId": w.stranger.user_id }), "householdLeadId"),
        (json!({ "householdLeadId": w.elder.user_id }), "householdLeadId"),
        (json!({ "elderId": w.secretary.user_id }), "elderId"),
        (json!({ "address": "楼".repeat(201) }), "address"),
        (
            json!({ "emergencyContacts": [{ "name": "吴小梅", "relation": "女儿", "phone": "123" }] }),
            "emergencyContacts.phone",
        ),
        (
            json!({ "emergencyContacts": [{ "name": " ", "relation": "女儿", "phone": CONTACT_PHONE }] }),
            "emergencyContacts.name",
        ),
        (
            json!({ "emergencyContacts": [{ "name": "吴小梅", "relation": "女儿", "phone": CONTACT_PHONE, "linkedUserId": "999999" }] }),
            "emergencyContacts.linkedUserId",
        ),
        (
            json!({ "emergencyContacts": vec![json!({ "name": "亲属", "relation": "侄子", "phone": CONTACT_PHONE }); 6] }),
            "emergencyContacts",
        ),
    ] {
        let r = w.gql(&w.grid, SAVE, bad(patch.clone())).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{patch}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["field"], field, "{patch}");
    }
    // Creating is for the staff.
    for who in [&w.member, &w.lead, &w.elder] {
        assert_eq!(error_code(&w.gql(who, SAVE, json!({ "input": base })).await), "FORBIDDEN");
    }
    assert_eq!(error_code(&w.gql(&w.stranger, SAVE, json!({ "input": base })).await), "NOT_FOUND");
    // 吴奶奶 lives in 1栋, in 第1网格: the grid worker of 第2网格 does not take her on.
    let across = w.gql(&w.far_grid, SAVE, json!({ "input": base })).await;
    assert_eq!(error_code(&across), "FORBIDDEN", "{across}");
    assert!(across["errors"][0]["message"].as_str().unwrap().contains("不在你负责的网格"), "{across}");
    assert_eq!(error_code(&w.profile(&w.secretary).await), "NOT_FOUND", "the refusal created nothing");

    // Defaults: weekly for those living alone, monthly otherwise.
    let saved = w.gql(&w.secretary, SAVE, json!({ "input": base })).await;
    let saved = data(&saved, "saveCareProfile");
    assert_eq!(saved["visitIntervalDays"], 7);
    assert_eq!(saved["needs"], json!(["MOBILITY", "MEDICATION_REMINDERS"]));
    let mut together = base.clone();
    together["livesAlone"] = json!(false);
    together["needs"] = json!(["MEALS", "HEARING", "MEALS"]);
    let across = w.gql(&w.far_grid, SAVE, json!({ "input": together })).await;
    assert_eq!(error_code(&across), "NOT_FOUND", "another grid's elder: {across}");
    let saved = w.gql(&w.other_grid, SAVE, json!({ "input": together })).await;
    assert_eq!(data(&saved, "saveCareProfile")["visitIntervalDays"], 30);
    assert_eq!(data(&saved, "saveCareProfile")["needs"], json!(["MEALS", "HEARING"]));

    // The household lead updates, but does not change who is assigned.
    let mut by_lead = together.clone();
    by_lead["needs"] = json!(["VISION"]);
    let saved = w.gql(&w.lead, SAVE, json!({ "input": by_lead })).await;
    assert_eq!(data(&saved, "saveCareProfile")["needs"], json!(["VISION"]));
    by_lead["gridWorkerId"] = json!(w.other_grid.user_id);
    assert_eq!(error_code(&w.gql(&w.lead, SAVE, json!({ "input": by_lead })).await), "FORBIDDEN");
    assert_eq!(error_code(&w.gql(&w.member, SAVE, json!({ "input": by_lead })).await), "NOT_FOUND");
}

#[tokio::test]
async fn consent_records_who_gave_it_and_keeps_its_history() {
    let w = World::new().await.with_profile().await;
    let e = w.elder.user_id.clone();
    let guardian = |patch: Value| {
        let mut input = json!({ "elderId": e, "givenBy": "GUARDIAN", "guardianName": "吴小梅",
                                "guardianRelation": "女儿", "wordingVersion": "2026-01" });
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };
    for (patch, field) in [
        (json!({ "guardianName": null }), "guardianName"),
        (json!({ "guardianRelation": "" }), "guardianRelation"),
        (json!({ "wordingVersion": " " }), "wordingVersion"),
        (json!({ "givenAt": (w.app.clock.now() + Duration::hours(1)).to_rfc3339() }), "givenAt"),
    ] {
        let r = w.gql(&w.lead, CONSENT, guardian(patch.clone())).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{patch}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["field"], field);
    }
    assert_eq!(error_code(&w.gql(&w.member, CONSENT, guardian(json!({}))).await), "NOT_FOUND");
    let given = w.gql(&w.lead, CONSENT, guardian(json!({}))).await;
    let given = data(&given, "recordCareConsent");
    assert_eq!(given["givenBy"], "GUARDIAN");
    assert_eq!(given["guardianName"], "吴小梅");
    assert_eq!(given["recordedBy"]["id"], w.lead.user_id.as_str());
    assert_eq!(error_code(&w.consent(&w.elder).await), "CONFLICT");

    let withdrawn = w.gql(&w.grid, WITHDRAW, json!({ "e": e })).await;
    data(&withdrawn, "withdrawCareConsent");
    assert_eq!(error_code(&w.gql(&w.grid, WITHDRAW, json!({ "e": e })).await), "INVALID_STATE");
    assert_eq!(error_code(&w.gql(&w.member, WITHDRAW, json!({ "e": e })).await), "NOT_FOUND");
    data(&w.consent(&w.elder).await, "recordCareConsent");

    let history = w
        .gql(
            &w.secretary,
            "query($e: ID!) { careProfile(elderId: $e) { consentHistory { givenBy stands withdrawnAt } } }",
            json!({ "e": e }),
        )
        .await;
    let history = &data(&history, "careProfile")["consentHistory"];
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_eq!(history[0]["givenBy"], "SELF");
    assert_eq!(history[0]["stands"], true);
    assert_eq!(history[1]["stands"], false);
    assert!(history[1]["withdrawnAt"].is_string());
}

#[tokio::test]
async fn of_many_concurrent_consents_exactly_one_is_recorded() {
    let w = World::new().await.with_profile().await;
    let results = join_all((0..6).map(|i| {
        let who = [&w.grid, &w.lead, &w.secretary][i % 3];
        w.consent(who)
    }))
    .await;
    let won = results.iter().filter(|r| r.get("errors").is_none()).count();
    assert_eq!(won, 1, "{results:?}");
    for r in results.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(error_code(r), "CONFLICT", "{r}");
    }
}

// ---------------------------------------------------------------------------
// Erasure after withdrawal
// ---------------------------------------------------------------------------

#[tokio::test]
async fn withdrawn_notes_are_erased_by_the_sweep_after_the_grace_period() {
    use domain::entities::care_health_note;
    use sea_orm::EntityTrait;

    let w = World::new().await.with_profile().await;
    data(&w.consent(&w.grid).await, "recordCareConsent");
    data(&w.note(&w.grid, NOTE_TEXT).await, "addHealthNote");
    data(&w.note(&w.lead, "右耳听力下降").await, "addHealthNote");
    assert_eq!(w.app.domain.care().erase_withdrawn_health_notes().await.unwrap(), 0, "nothing withdrawn yet");
    data(&w.gql(&w.elder, WITHDRAW, json!({ "e": w.elder.user_id })).await, "withdrawCareConsent");

    w.app.clock.advance(Duration::hours(23));
    assert_eq!(w.app.domain.care().erase_withdrawn_health_notes().await.unwrap(), 0, "still in the grace period");
    let rows = care_health_note::Entity::find().all(&w.app.domain.db).await.unwrap();
    assert!(rows.iter().all(|r| r.body.is_some() && r.hidden_at.is_some()));

    // Consent given again does not bring hidden notes back.
    data(&w.consent(&w.elder).await, "recordCareConsent");
    assert_eq!(data(&w.profile(&w.grid).await, "careProfile")["healthNotes"], json!([]));

    w.app.clock.advance(Duration::hours(2));
    assert_eq!(w.app.domain.care().erase_withdrawn_health_notes().await.unwrap(), 2);
    assert_eq!(w.app.domain.care().erase_withdrawn_health_notes().await.unwrap(), 0, "erased once");
    let rows = care_health_note::Entity::find().all(&w.app.domain.db).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.body.is_none() && r.erased_at.is_some()), "{rows:?}");

    // Notes written under the new consent are unaffected.
    data(&w.note(&w.grid, "新记录").await, "addHealthNote");
    let seen = w.profile(&w.grid).await;
    assert_eq!(
        data(&seen, "careProfile")["healthNotes"],
        json!([{ "body": "新记录", "writtenBy": { "id": w.grid.user_id } }])
    );
}

// ---------------------------------------------------------------------------
// Roles that end
// ---------------------------------------------------------------------------

const REVOKE: &str =
    "mutation($c: ID!, $u: ID!, $r: Role!) { revokeRole(communityId: $c, userId: $u, role: $r) { roles } }";
const ASSIGNED: &str = "query($e: ID!) { careProfile(elderId: $e) { gridWorker { id } householdLead { id } } }";

impl World {
    /// The profile with `grid` as the elder's grid worker and `lead` as household lead,
    /// consent given and one health note written.
    async fn assign(&self, grid: &Session, lead: &Session) {
        let mut input = self.profile_input();
        input["gridWorkerId"] = json!(grid.user_id);
        input["householdLeadId"] = json!(lead.user_id);
        data(&self.gql(&self.secretary, SAVE, json!({ "input": input })).await, "saveCareProfile");
        data(&self.consent(&self.secretary).await, "recordCareConsent");
        data(&self.note(&self.secretary, NOTE_TEXT).await, "addHealthNote");
    }

    async fn revoke(&self, by: &Session, who: &Session, role: &str) -> Value {
        self.gql(by, REVOKE, json!({ "c": self.chengnan, "u": who.user_id, "r": role })).await
    }

    /// `(gridWorker id, householdLead id)` on the profile, as the secretary sees it.
    async fn assigned(&self) -> (Value, Value) {
        let seen = self.gql(&self.secretary, ASSIGNED, json!({ "e": self.elder.user_id })).await;
        let p = data(&seen, "careProfile");
        (p["gridWorker"]["id"].clone(), p["householdLead"]["id"].clone())
    }

    /// `who` reads the profile in full, health notes included.
    async fn reads_in_full(&self, who: &Session) {
        let seen = self.profile(who).await;
        let p = data(&seen, "careProfile");
        assert_eq!(p["healthNotes"][0]["body"], NOTE_TEXT, "{seen}");
        assert_eq!(p["phone"], ELDER_PHONE);
        assert_eq!(p["contactsMasked"], false);
    }

    /// `who` is refused the profile as an outsider is, and learns nothing from the refusal.
    async fn is_refused(&self, who: &Session) {
        let logged = self.log_count().await;
        let seen = self.profile(who).await;
        assert_eq!(error_code(&seen), "NOT_FOUND", "{seen}");
        for secret in ["高血压", ELDER_PHONE, "1单元"] {
            assert!(!seen.to_string().contains(secret), "{secret} in {seen}");
        }
        assert_eq!(self.log_count().await, logged, "a refused read logs nothing");
    }
}

#[tokio::test]
async fn a_grid_worker_whose_role_is_revoked_no_longer_sees_the_profile_and_is_no_longer_assigned() {
    // 杨大哥 (a resident) is made a grid worker and assigned to 吴奶奶.
    let w = World::new().await;
    w.assign(&w.other_grid, &w.lead).await;
    w.reads_in_full(&w.other_grid).await;
    assert_eq!(w.assigned().await.0, w.other_grid.user_id.as_str());

    let revoked = w.revoke(&w.secretary, &w.other_grid, "GRID_WORKER").await;
    assert_eq!(data(&revoked, "revokeRole")["roles"], json!(["RESIDENT"]));

    // Still a resident, no longer a grid worker: the profile is out of reach, and so are its notes.
    w.is_refused(&w.other_grid).await;
    assert_eq!(error_code(&w.note(&w.other_grid, "再记一条").await), "NOT_FOUND");
    let (grid, lead) = w.assigned().await;
    assert!(grid.is_null(), "the assignment went with the role: {grid}");
    assert_eq!(lead, w.lead.user_id.as_str(), "the household lead stays");
    w.reads_in_full(&w.lead).await;

    // Made a grid worker again, he sees the profile as any grid worker does: masked, not as the assigned one.
    let grid_1 = w.app.grids("demo-secretary", &w.chengnan).await[0].clone();
    data(
        &w.gql(&w.secretary, APPOINT, json!({ "unit": grid_1, "u": w.other_grid.user_id, "r": "GRID_WORKER" })).await,
        "appoint",
    );
    let seen = w.profile(&w.other_grid).await;
    let p = data(&seen, "careProfile");
    assert!(p["healthNotes"].is_null(), "{seen}");
    assert_eq!(p["contactsMasked"], true);
}

#[tokio::test]
async fn a_household_lead_who_leaves_the_community_no_longer_sees_the_profile_and_is_no_longer_assigned() {
    let w = World::new().await;
    w.assign(&w.grid, &w.lead).await;
    w.reads_in_full(&w.lead).await;

    // 龙阿姨 held only RESIDENT: with it gone she is no longer of the community.
    let revoked = w.revoke(&w.secretary, &w.lead, "RESIDENT").await;
    assert_eq!(data(&revoked, "revokeRole")["roles"], json!([]));
    w.is_refused(&w.lead).await;
    let (grid, lead) = w.assigned().await;
    assert!(lead.is_null(), "the assignment went with her standing: {lead}");
    assert_eq!(grid, w.grid.user_id.as_str(), "the grid worker stays");
    w.reads_in_full(&w.grid).await;
}

#[tokio::test]
async fn revoking_a_role_the_assignment_does_not_rest_on_keeps_it() {
    let w = World::new().await;
    w.assign(&w.other_grid, &w.lead).await;
    // The lead gains and loses a volunteer's role; the grid worker loses the resident's.
    let granted = w.gql(&w.secretary, GRANT, json!({ "c": w.chengnan, "u": w.lead.user_id, "r": "VOLUNTEER" })).await;
    data(&granted, "grantRole");
    data(&w.revoke(&w.secretary, &w.lead, "VOLUNTEER").await, "revokeRole");
    data(&w.revoke(&w.secretary, &w.other_grid, "RESIDENT").await, "revokeRole");
    assert_eq!(
        w.assigned().await,
        (json!(w.other_grid.user_id), json!(w.lead.user_id)),
        "both still hold what their assignment needs"
    );
    w.reads_in_full(&w.lead).await;
    w.reads_in_full(&w.other_grid).await;
}

#[tokio::test]
async fn a_refused_revocation_clears_no_assignment() {
    let w = World::new().await;
    w.assign(&w.other_grid, &w.lead).await;
    for by in [&w.grid, &w.lead, &w.elder] {
        let refused = w.revoke(by, &w.other_grid, "GRID_WORKER").await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    }
    let outsider = w.revoke(&w.stranger, &w.lead, "RESIDENT").await;
    assert_eq!(error_code(&outsider), "NOT_FOUND", "{outsider}");
    assert_eq!(w.assigned().await, (json!(w.other_grid.user_id), json!(w.lead.user_id)));
    w.reads_in_full(&w.other_grid).await;
}

#[tokio::test]
async fn care_access_is_checked_against_the_roles_held_at_read_time() {
    use domain::entities::community_role;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let w = World::new().await;
    w.assign(&w.other_grid, &w.lead).await;
    w.reads_in_full(&w.other_grid).await;
    // The role ends by some other way than revokeRole: the assignment left behind grants nothing.
    community_role::Entity::delete_many()
        .filter(community_role::Column::UserId.eq(w.other_grid.user_id.parse::<i64>().unwrap()))
        .filter(community_role::Column::Role.eq("GRID_WORKER"))
        .exec(&w.app.domain.db)
        .await
        .unwrap();
    assert_eq!(w.assigned().await.0, w.other_grid.user_id.as_str(), "still on the profile");
    w.is_refused(&w.other_grid).await;
    assert_eq!(error_code(&w.note(&w.other_grid, "再记一条").await), "NOT_FOUND");
}
