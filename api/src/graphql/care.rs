//! Elderly care: profiles, consent, the access log, visits and data rights.
//!
//! Sensitive fields (the elder's phone and address, emergency contacts'
//! phones, health notes) are revealed by their own resolvers, which call the
//! domain function that decides, reveals and writes the access log: a field
//! that is not asked for is neither read nor logged.

use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use domain::care as c;
use domain::care as v;

use super::enums::graphql_enum;
use super::org::{Community, Person, community, people, person};
use super::pages::{Counted, actor_and_page, page_to_connection};
use super::{OrGql, actor, auth_service, domain, parse_id};

#[derive(Default)]
pub struct CareQuery;

#[derive(Default)]
pub struct CareMutation;

graphql_enum!(CareNeed = domain::care::CareNeed);

graphql_enum!(ConsentGiver = domain::care::ConsentGiver { Elder: "The elder themself." });

graphql_enum!(SensitiveField = domain::care::SensitiveField);

graphql_enum!(
    /// Where a request to delete another person's data stands.
    DataDeletionStatus = domain::data_rights::DeletionStatus
);

workflow_event!(DataDeletionEvent, domain::data_rights::DeletionStatus);

/// A request to delete another person's data (a secretary for a resident
/// who cannot use a phone), erased only once a second staff member confirms.
pub struct DataDeletionRequest(domain::data_rights::DeletionRequest);

#[Object]
impl DataDeletionRequest {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn community(&self, ctx: &Context<'_>) -> Result<Community> {
        community(ctx, self.0.community_id).await
    }

    /// The person whose data is to be deleted (已注销居民 once it is).
    async fn subject(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.user_id)).await
    }

    async fn requested_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.requested_by)).await
    }

    async fn reason(&self) -> &str {
        &self.0.reason
    }

    async fn status(&self) -> DataDeletionStatus {
        self.0.status.into()
    }

    /// Who confirmed or refused it.
    async fn decided_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.decided_by).await
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// Why it was refused.
    async fn refusal_reason(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Every step, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<DataDeletionEvent>> {
        let mut all = domain(ctx).data_rights().deletion_histories(&[self.0.id]).await.gql()?;
        Ok(all.remove(&self.0.id).unwrap_or_default().into_iter().map(Into::into).collect())
    }
}

/// An elder's care profile. Seen by the elder, the people assigned to them,
/// the community's secretaries and grid workers.
pub struct CareProfile(Arc<c::CareProfile>);

#[Object]
impl CareProfile {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn community(&self, ctx: &Context<'_>) -> Result<Community> {
        community(ctx, self.0.community_id).await
    }

    async fn elder(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.elder_id)).await
    }

    async fn needs(&self) -> Vec<CareNeed> {
        self.0.needs.iter().map(|n| (*n).into()).collect()
    }

    async fn lives_alone(&self) -> bool {
        self.0.lives_alone
    }

    async fn visit_interval_days(&self) -> i32 {
        self.0.visit_interval_days
    }

    /// The responsible grid worker.
    async fn grid_worker(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.grid_worker_id).await
    }

    async fn household_lead(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.household_lead_id).await
    }

    /// The elder's phone: in full for the people assigned and the secretaries
    /// (each read is logged), masked for everyone else.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        domain(ctx).care().profile_phone(actor(ctx).await?, &self.0).await.gql()
    }

    /// Where to visit: in full as `phone`, cut to the building for everyone else.
    async fn address(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        domain(ctx).care().profile_address(actor(ctx).await?, &self.0).await.gql()
    }

    /// Whether phones and the address are masked for you.
    async fn contacts_masked(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(domain(ctx).care().profile_masked(actor(ctx).await?, &self.0))
    }

    async fn emergency_contacts(&self) -> Vec<EmergencyContact> {
        (0..self.0.emergency_contacts.len()).map(|index| EmergencyContact { profile: self.0.clone(), index }).collect()
    }

    /// The consent standing now; null when none stands or you may not see it.
    async fn consent(&self, ctx: &Context<'_>) -> Result<Option<CareConsent>> {
        let all = domain(ctx).care().consents(actor(ctx).await?, &self.0).await.gql()?;
        Ok(all.and_then(|list| list.into_iter().find(|c| c.stands())).map(CareConsent))
    }

    /// Every consent given and withdrawn, newest first; null unless you may see health notes.
    async fn consent_history(&self, ctx: &Context<'_>) -> Result<Option<Vec<CareConsent>>> {
        let all = domain(ctx).care().consents(actor(ctx).await?, &self.0).await.gql()?;
        Ok(all.map(|list| list.into_iter().map(CareConsent).collect()))
    }

    /// Newest first. Null for everyone but the elder, the people assigned to
    /// them and the secretaries; a read that returns notes is logged.
    async fn health_notes(&self, ctx: &Context<'_>) -> Result<Option<Vec<HealthNote>>> {
        let notes = domain(ctx).care().health_notes(actor(ctx).await?, &self.0).await.gql()?;
        Ok(notes.map(|list| list.into_iter().map(HealthNote).collect()))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct EmergencyContact {
    profile: Arc<c::CareProfile>,
    index: usize,
}

#[Object]
impl EmergencyContact {
    async fn name(&self) -> Option<&str> {
        self.profile.emergency_contacts.get(self.index).map(|c| c.name.as_str())
    }

    /// e.g. 女儿, 儿子, 侄子.
    async fn relation(&self) -> Option<&str> {
        self.profile.emergency_contacts.get(self.index).map(|c| c.relation.as_str())
    }

    /// In full for the people assigned and the secretaries (logged), masked for others.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        domain(ctx).care().contact_phone(actor(ctx).await?, &self.profile, self.index).await.gql()
    }

    /// The family member's own linli account, when they have one.
    async fn linked_user(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.profile.emergency_contacts.get(self.index).and_then(|c| c.linked_user_id)).await
    }
}

pub struct CareConsent(c::Consent);

#[Object]
impl CareConsent {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn given_by(&self) -> ConsentGiver {
        self.0.given_by.into()
    }

    async fn guardian_name(&self) -> Option<&str> {
        self.0.guardian_name.as_deref()
    }

    async fn guardian_relation(&self) -> Option<&str> {
        self.0.guardian_relation.as_deref()
    }

    async fn given_at(&self) -> DateTime<Utc> {
        self.0.given_at
    }

    /// The version of the consent wording that was read to or by them.
    async fn wording_version(&self) -> &str {
        &self.0.wording_version
    }

    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.recorded_by)).await
    }

    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }

    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.0.withdrawn_at
    }

    async fn withdrawal_recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.withdrawal_recorded_by).await
    }

    async fn stands(&self) -> bool {
        self.0.stands()
    }
}

pub struct HealthNote(c::HealthNote);

#[Object]
impl HealthNote {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn written_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.written_by)).await
    }

    async fn written_at(&self) -> DateTime<Utc> {
        self.0.written_at
    }
}

/// One read of someone's sensitive data.
#[derive(SimpleObject)]
pub struct SensitiveAccessEntry {
    id: ID,
    accessor: Option<Person>,
    subject: Option<Person>,
    field: SensitiveField,
    /// Why: `CARE_PROFILE_VIEW`, `ORDER` or `CARE_REQUEST` (then `careRequestId` is the order or request it served).
    purpose: String,
    care_request_id: Option<ID>,
    community: Community,
    at: DateTime<Utc>,
}

pub struct CareVisit(v::Visit);

#[Object]
impl CareVisit {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn elder(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.elder_id)).await
    }

    async fn visitor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.visitor_id)).await
    }

    async fn visited_at(&self) -> DateTime<Utc> {
        self.0.visited_at
    }

    async fn notes(&self) -> &str {
        &self.0.notes
    }

    async fn follow_up_needed(&self) -> bool {
        self.0.follow_up_needed
    }

    async fn follow_up(&self) -> Option<&str> {
        self.0.follow_up.as_deref()
    }

    /// The care request the follow-up became, once it has.
    async fn care_request_id(&self) -> Option<ID> {
        self.0.care_request_id.map(Into::into)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An elder not seen within their visit interval.
#[derive(SimpleObject)]
pub struct OverdueVisit {
    elder: Option<Person>,
    grid_worker: Option<Person>,
    household_lead: Option<Person>,
    visit_interval_days: i32,
    /// Null when never visited: the interval runs from the profile's creation.
    last_visit_at: Option<DateTime<Utc>>,
    due_at: DateTime<Utc>,
    /// Whole days (Asia/Shanghai) since it fell due; 0 on the day itself.
    days_overdue: i64,
}

/// What a deletion did.
#[derive(SimpleObject)]
pub struct DataDeletion {
    /// The anonymised person's id: their kept records still point at it.
    user_id: ID,
    carried_out_by: Option<Person>,
    at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct EmergencyContactInput {
    /// At most 30 characters.
    name: String,
    /// e.g. 女儿; at most 20 characters.
    relation: String,
    phone: String,
    linked_user_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CareProfileInput {
    community_id: ID,
    elder_id: ID,
    needs: Vec<CareNeed>,
    lives_alone: bool,
    /// 1–365; 7 for those living alone and 30 otherwise when not given.
    visit_interval_days: Option<i32>,
    /// Must hold GRID_WORKER in the community.
    grid_worker_id: Option<ID>,
    /// A user of the community (联户长).
    household_lead_id: Option<ID>,
    address: Option<String>,
    /// At most 5; replaces the list.
    #[graphql(default)]
    emergency_contacts: Vec<EmergencyContactInput>,
}

#[derive(InputObject)]
pub struct CareConsentInput {
    elder_id: ID,
    given_by: ConsentGiver,
    /// Required when a guardian gives it.
    guardian_name: Option<String>,
    guardian_relation: Option<String>,
    /// When it was given (on paper, say); now when not given.
    given_at: Option<DateTime<Utc>>,
    /// The version of the consent wording shown or read out, e.g. "2026-01".
    wording_version: String,
}

type CareProfileConnection = Connection<String, CareProfile, Counted>;
type AccessLogConnection = Connection<String, SensitiveAccessEntry, Counted>;
type VisitConnection = Connection<String, CareVisit, Counted>;

async fn access_log_connection(
    ctx: &Context<'_>,
    page: domain::pagination::Page<c::AccessLogEntry>,
) -> Result<AccessLogConnection> {
    let ids: Vec<i64> = page.items.iter().flat_map(|e| [e.accessor_id, e.subject_id]).collect();
    let names = people(ctx, ids).await?;
    let mut communities = std::collections::HashMap::new();
    for e in &page.items {
        if let std::collections::hash_map::Entry::Vacant(slot) = communities.entry(e.community_id) {
            slot.insert(community(ctx, e.community_id).await?);
        }
    }
    Ok(page_to_connection(
        page,
        |e| e.id,
        |e| SensitiveAccessEntry {
            id: e.id.into(),
            accessor: names.get(&e.accessor_id).cloned(),
            subject: names.get(&e.subject_id).cloned(),
            field: e.field.into(),
            purpose: e.purpose,
            care_request_id: e.care_request_id.map(Into::into),
            community: Community(domain::org::Community {
                id: e.community_id,
                name: communities.get(&e.community_id).map(|c| c.0.name.clone()).unwrap_or_default(),
                street_id: 0,
            }),
            at: e.at,
        },
    ))
}

#[Object]
impl CareQuery {
    /// An elder's care profile; NOT_FOUND for those who may not see it.
    async fn care_profile(&self, ctx: &Context<'_>, elder_id: ID) -> Result<CareProfile> {
        let actor = actor(ctx).await?;
        domain(ctx)
            .care()
            .profile(actor, parse_id(&elder_id, "care profile")?)
            .await
            .map(|p| CareProfile(Arc::new(p)))
            .gql()
    }

    /// The community's care profiles, for its grid workers and secretaries.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn care_profiles(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CareProfileConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        domain(ctx)
            .care()
            .profiles(actor, parse_id(&community_id, "community")?, page)
            .await
            .map(|p| page_to_connection(p, |x| x.id, |x| CareProfile(Arc::new(x))))
            .gql()
    }

    /// Every read of a sensitive field in the community, newest first; for the secretary.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn sensitive_access_log(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        subject_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AccessLogConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let subject = subject_id.as_ref().map(|s| parse_id(s, "user")).transpose()?;
        let page = domain(ctx)
            .care()
            .sensitive_access_log(actor, parse_id(&community_id, "community")?, subject, page)
            .await
            .gql()?;
        access_log_connection(ctx, page).await
    }

    /// Who read your sensitive data, newest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn my_data_access_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AccessLogConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let page = domain(ctx).care().my_data_access_log(actor, page).await.gql()?;
        access_log_connection(ctx, page).await
    }

    /// Visits to an elder, newest logged first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        elder_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<VisitConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        domain(ctx)
            .care()
            .visits(actor, parse_id(&elder_id, "care profile")?, page)
            .await
            .map(|p| page_to_connection(p, |x| x.id, CareVisit))
            .gql()
    }

    /// Elders not seen within their interval, most overdue first; for the community's staff.
    async fn overdue_visits(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<OverdueVisit>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx).care().overdue_visits(actor, parse_id(&community_id, "community")?).await.gql()?;
        let ids: Vec<i64> =
            list.iter().flat_map(|o| [Some(o.elder_id), o.grid_worker_id, o.household_lead_id]).flatten().collect();
        let names = people(ctx, ids).await?;
        let name = |id: Option<i64>| id.and_then(|id| names.get(&id).cloned());
        Ok(list
            .into_iter()
            .map(|o| OverdueVisit {
                elder: name(Some(o.elder_id)),
                grid_worker: name(o.grid_worker_id),
                household_lead: name(o.household_lead_id),
                visit_interval_days: o.visit_interval_days,
                last_visit_at: o.last_visit_at,
                due_at: o.due_at,
                days_overdue: o.days_overdue,
            })
            .collect())
    }

    /// Everything linli holds about you, as one JSON document.
    async fn export_my_data(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        let actor = actor(ctx).await?;
        domain(ctx).data_rights().export_my_data(actor).await.map(Json).gql()
    }

    /// A community's requests to delete someone's data, oldest first, of one
    /// status when given (secretaries and grid workers).
    async fn data_deletion_requests(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        status: Option<DataDeletionStatus>,
    ) -> Result<Vec<DataDeletionRequest>> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let list = domain(ctx).data_rights().deletion_requests(actor, c, status.map(Into::into)).await.gql()?;
        Ok(list.into_iter().map(DataDeletionRequest).collect())
    }
}

#[Object]
impl CareMutation {
    /// Creates or updates an elder's care profile (secretary, grid worker; the
    /// household lead may update all but who is assigned).
    async fn save_care_profile(&self, ctx: &Context<'_>, input: CareProfileInput) -> Result<CareProfile> {
        let actor = actor(ctx).await?;
        let mut contacts = Vec::with_capacity(input.emergency_contacts.len());
        for contact in input.emergency_contacts {
            contacts.push(c::NewContact {
                name: contact.name,
                relation: contact.relation,
                phone: contact.phone,
                linked_user_id: contact.linked_user_id.as_ref().map(|u| parse_id(u, "user")).transpose()?,
            });
        }
        let save = c::SaveCareProfile {
            community_id: parse_id(&input.community_id, "community")?,
            elder_id: parse_id(&input.elder_id, "user")?,
            needs: input.needs.into_iter().map(Into::into).collect(),
            lives_alone: input.lives_alone,
            visit_interval_days: input.visit_interval_days,
            grid_worker_id: input.grid_worker_id.as_ref().map(|u| parse_id(u, "user")).transpose()?,
            household_lead_id: input.household_lead_id.as_ref().map(|u| parse_id(u, "user")).transpose()?,
            address: input.address,
            emergency_contacts: contacts,
        };
        domain(ctx).care().save_profile(actor, save).await.map(|p| CareProfile(Arc::new(p))).gql()
    }

    /// Records the elder's (or a guardian's) separate consent to keep health notes.
    async fn record_care_consent(&self, ctx: &Context<'_>, input: CareConsentInput) -> Result<CareConsent> {
        let actor = actor(ctx).await?;
        let record = c::RecordConsent {
            elder_id: parse_id(&input.elder_id, "care profile")?,
            given_by: input.given_by.into(),
            guardian_name: input.guardian_name,
            guardian_relation: input.guardian_relation,
            given_at: input.given_at,
            wording_version: input.wording_version,
        };
        domain(ctx).care().record_consent(actor, record).await.map(CareConsent).gql()
    }

    /// Withdraws the standing consent: the notes are hidden at once and erased within a day.
    async fn withdraw_care_consent(&self, ctx: &Context<'_>, elder_id: ID) -> Result<CareConsent> {
        let actor = actor(ctx).await?;
        domain(ctx).care().withdraw_consent(actor, parse_id(&elder_id, "care profile")?).await.map(CareConsent).gql()
    }

    /// Writes a health note (assigned people and secretaries, while consent stands).
    async fn add_health_note(&self, ctx: &Context<'_>, elder_id: ID, body: String) -> Result<HealthNote> {
        let actor = actor(ctx).await?;
        domain(ctx)
            .care()
            .add_health_note(actor, parse_id(&elder_id, "care profile")?, &body)
            .await
            .map(HealthNote)
            .gql()
    }

    /// Logs a home visit (走访).
    #[allow(clippy::too_many_arguments)]
    async fn log_visit(
        &self,
        ctx: &Context<'_>,
        elder_id: ID,
        visited_at: DateTime<Utc>,
        notes: String,
        #[graphql(default)] follow_up_needed: bool,
        follow_up: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<CareVisit> {
        let actor = actor(ctx).await?;
        let input = v::LogVisit {
            elder_id: parse_id(&elder_id, "care profile")?,
            visited_at,
            notes,
            follow_up_needed,
            follow_up,
        };
        domain(ctx).care().log_visit(actor, input, idempotency_key.as_deref()).await.map(CareVisit).gql()
    }

    /// Erases or anonymises your own personal data at once; type the word
    /// the app shows (注销) as `confirm`. `userId`, when given, must be your
    /// own: deleting someone else's data is `requestDataDeletion`, confirmed
    /// by a second staff member (another person's id here is
    /// `BAD_USER_INPUT` on `userId`).
    async fn delete_my_data(&self, ctx: &Context<'_>, confirm: String, user_id: Option<ID>) -> Result<DataDeletion> {
        let actor = actor(ctx).await?;
        let target = user_id.as_ref().map(|u| parse_id(u, "user")).transpose()?;
        let deletion = domain(ctx).data_rights().delete_my_data(actor, target, &confirm).await.gql()?;
        end_sessions(ctx, &deletion.ended_sessions).await?;
        Ok(DataDeletion {
            user_id: deletion.user_id.into(),
            carried_out_by: person(ctx, Some(deletion.carried_out_by)).await?,
            at: deletion.at,
        })
    }

    /// A secretary asks to delete the data of a resident of her community
    /// who cannot use a phone (type 注销 as `confirm`, and say why). Nothing
    /// is deleted until another secretary or grid worker of the community
    /// confirms. A person who also belongs to another community or a street
    /// is `FORBIDDEN` (that place handles it); one who is not a resident of
    /// hers is `NOT_FOUND`.
    async fn request_data_deletion(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        confirm: String,
        reason: String,
    ) -> Result<DataDeletionRequest> {
        let actor = actor(ctx).await?;
        let target = parse_id(&user_id, "user")?;
        domain(ctx)
            .data_rights()
            .request_deletion(actor, target, &confirm, &reason)
            .await
            .map(DataDeletionRequest)
            .gql()
    }

    /// A second staff member (not the one who asked, not the person)
    /// confirms: the person's data is erased, and their sessions end.
    async fn confirm_data_deletion(&self, ctx: &Context<'_>, request_id: ID) -> Result<DataDeletionRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&request_id, "data deletion request")?;
        let confirmed = domain(ctx).data_rights().confirm_deletion(actor, id).await.gql()?;
        end_sessions(ctx, &confirmed.ended_sessions).await?;
        Ok(DataDeletionRequest(confirmed.request))
    }

    /// A staff member other than the one who asked refuses, saying why; nothing is deleted.
    async fn refuse_data_deletion(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        reason: String,
    ) -> Result<DataDeletionRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&request_id, "data deletion request")?;
        domain(ctx).data_rights().refuse_deletion(actor, id, &reason).await.map(DataDeletionRequest).gql()
    }

    /// The one who asked withdraws the request; nothing is deleted.
    async fn withdraw_data_deletion(&self, ctx: &Context<'_>, request_id: ID) -> Result<DataDeletionRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&request_id, "data deletion request")?;
        domain(ctx).data_rights().withdraw_deletion(actor, id).await.map(DataDeletionRequest).gql()
    }
}

/// Ends a deleted person's sessions in the fast session store too.
async fn end_sessions(ctx: &Context<'_>, sessions: &[String]) -> Result<()> {
    let store = &auth_service(ctx).store;
    for session in sessions {
        store.end(session).await.map_err(|e| super::gql_error(e.into()))?;
    }
    Ok(())
}
