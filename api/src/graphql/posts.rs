//! 因人设岗: volunteer posts, activities with on-site check-in, suggestions,
//! the households members keep in touch with, and the yearly 四个一.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use domain::DomainError;
use domain::posts as p;

use super::enums::graphql_enum;
use super::org::{Person, people};
use super::{OrGql, actor, domain, gql_error, parse_id};

#[derive(Default)]
pub struct PostQuery;

#[derive(Default)]
pub struct PostMutation;

graphql_enum!(PostKind = domain::posts::PostKind);

graphql_enum!(ActivityKind = domain::activities::ActivityKind);

graphql_enum!(Duty = domain::duties::Duty);

#[derive(SimpleObject)]
pub struct Post {
    id: ID,
    title: String,
    kind: PostKind,
    description: String,
    capacity: i32,
    /// Places taken now.
    taken: i32,
    term_start: NaiveDate,
    term_end: NaiveDate,
    retired: bool,
    /// Members holding the post now.
    holders: Vec<Person>,
    held_by_me: bool,
}

/// What the organiser decides about an activity: sent to create it, and read
/// back on it (flattened into both, so it is no type of its own in the schema).
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "ActivityPlanInput")]
pub struct ActivityPlan {
    title: String,
    kind: ActivityKind,
    place: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    capacity: i32,
}

impl From<domain::activities::Activity> for ActivityPlan {
    fn from(a: domain::activities::Activity) -> Self {
        Self {
            title: a.title,
            kind: a.kind.into(),
            place: a.place,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            capacity: a.capacity,
        }
    }
}

#[derive(SimpleObject)]
pub struct Activity {
    id: ID,
    #[graphql(flatten)]
    plan: ActivityPlan,
    signed_up: i32,
    /// Service time credited to each attendee.
    service_minutes: i32,
    cancelled: bool,
    /// Your sign-up, if any.
    my_signup: Option<Signup>,
}

#[derive(SimpleObject, Clone)]
pub struct Signup {
    activity_id: ID,
    person: Person,
    signed_up_at: DateTime<Utc>,
    checked_in_at: Option<DateTime<Utc>>,
    service_minutes: Option<i32>,
}

/// What the organiser's phone shows for attendees to scan.
#[derive(SimpleObject)]
pub struct CheckInCode {
    code: String,
    expires_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct Suggestion {
    id: ID,
    member: Option<Person>,
    text: String,
    answer: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct Household {
    id: ID,
    label: String,
    building: String,
    grid: String,
}

#[derive(SimpleObject)]
pub struct HouseholdContact {
    id: ID,
    household_id: ID,
    note: String,
    contacted_at: DateTime<Utc>,
}

/// Progress on the yearly 四个一: claim a post, keep in touch with households,
/// join an activity, make a suggestion.
#[derive(SimpleObject)]
pub struct YearlyDuties {
    member: Option<Person>,
    year: i32,
    posts_claimed: u32,
    households_assigned: u32,
    households_contacted: u32,
    households_target: u32,
    activities_joined: u32,
    service_minutes: i64,
    suggestions_made: u32,
    complete: bool,
    missing: Vec<Duty>,
}

#[derive(InputObject)]
pub struct CreatePostInput {
    community_id: ID,
    title: String,
    kind: PostKind,
    description: String,
    capacity: i32,
    term_start: NaiveDate,
    term_end: NaiveDate,
}

#[derive(InputObject)]
pub struct CreateActivityInput {
    community_id: ID,
    #[graphql(flatten)]
    plan: ActivityPlan,
    /// Service time per attendee; defaults to the activity's length.
    service_minutes: Option<i32>,
}

async fn post_out(ctx: &Context<'_>, post: p::Post) -> Result<Post> {
    Ok(posts_out(ctx, vec![post]).await?.remove(0))
}

async fn posts_out(ctx: &Context<'_>, posts: Vec<p::Post>) -> Result<Vec<Post>> {
    let me = actor(ctx).await?.user_id;
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let holders = domain(ctx).posts().holders(&ids).await.gql()?;
    let names = people(ctx, holders.values().flatten().copied()).await?;
    let mut out = Vec::with_capacity(posts.len());
    for post in posts {
        let held = holders.get(&post.id).cloned().unwrap_or_default();
        out.push(Post {
            id: post.id.into(),
            title: post.title,
            kind: post.kind.into(),
            description: post.description,
            capacity: post.capacity,
            taken: post.taken,
            term_start: post.term_start,
            term_end: post.term_end,
            retired: post.retired,
            held_by_me: held.contains(&me),
            holders: held.iter().filter_map(|id| names.get(id).cloned()).collect(),
        })
    }
    Ok(out)
}

async fn activities_out(ctx: &Context<'_>, activities: Vec<domain::activities::Activity>) -> Result<Vec<Activity>> {
    let actor = actor(ctx).await?;
    let ids: Vec<i64> = activities.iter().map(|a| a.id).collect();
    let mine = domain(ctx).activities().my_signups(actor, &ids).await.gql()?;
    let mut signups = signups_out(ctx, mine.into_values().collect()).await?;
    let mut out = Vec::with_capacity(activities.len());
    for a in activities {
        let position = signups.iter().position(|s| s.activity_id == ID::from(a.id));
        let my_signup = position.map(|i| signups.swap_remove(i));
        out.push(Activity {
            id: a.id.into(),
            signed_up: a.signed_up,
            service_minutes: a.service_minutes,
            cancelled: a.cancelled,
            my_signup,
            plan: a.into(),
        });
    }
    Ok(out)
}

async fn signups_out(ctx: &Context<'_>, list: Vec<domain::activities::Signup>) -> Result<Vec<Signup>> {
    let names = people(ctx, list.iter().map(|s| s.user_id)).await?;
    list.into_iter()
        .map(|s| {
            let who = names.get(&s.user_id).cloned().ok_or_else(|| gql_error(DomainError::NotFound("user")))?;
            Ok(Signup {
                activity_id: s.activity_id.into(),
                person: who,
                signed_up_at: s.signed_up_at,
                checked_in_at: s.checked_in_at,
                service_minutes: s.service_minutes,
            })
        })
        .collect()
}

async fn signup_out(ctx: &Context<'_>, s: domain::activities::Signup) -> Result<Signup> {
    Ok(signups_out(ctx, vec![s]).await?.remove(0))
}

async fn suggestions_out(ctx: &Context<'_>, list: Vec<domain::duties::Suggestion>) -> Result<Vec<Suggestion>> {
    let names = people(ctx, list.iter().map(|s| s.member_id)).await?;
    Ok(list
        .into_iter()
        .map(|s| Suggestion {
            id: s.id.into(),
            member: names.get(&s.member_id).cloned(),
            text: s.text,
            answer: s.answer,
            answered_at: s.answered_at,
            created_at: s.created_at,
        })
        .collect())
}

async fn duties_out(ctx: &Context<'_>, list: Vec<domain::duties::YearlyDuties>) -> Result<Vec<YearlyDuties>> {
    let names = people(ctx, list.iter().map(|d| d.member_id)).await?;
    Ok(list
        .into_iter()
        .map(|d| YearlyDuties {
            member: names.get(&d.member_id).cloned(),
            year: d.year,
            posts_claimed: d.posts_claimed,
            households_assigned: d.households_assigned,
            households_contacted: d.households_contacted,
            households_target: d.households_target,
            activities_joined: d.activities_joined,
            service_minutes: d.service_minutes,
            suggestions_made: d.suggestions_made,
            complete: d.complete(),
            missing: d.missing.iter().map(|m| (*m).into()).collect(),
        })
        .collect())
}

#[Object]
impl PostQuery {
    /// The community's volunteer posts (retired ones on request).
    async fn posts(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        #[graphql(default)] include_retired: bool,
    ) -> Result<Vec<Post>> {
        let actor = actor(ctx).await?;
        let posts =
            domain(ctx).posts().list(actor, parse_id(&community_id, "community")?, include_retired).await.gql()?;
        posts_out(ctx, posts).await
    }

    /// The community's activities by start time; `upcomingOnly` hides past and cancelled ones.
    async fn activities(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        #[graphql(default)] upcoming_only: bool,
    ) -> Result<Vec<Activity>> {
        let actor = actor(ctx).await?;
        let list =
            domain(ctx).activities().list(actor, parse_id(&community_id, "community")?, upcoming_only).await.gql()?;
        activities_out(ctx, list).await
    }

    async fn activity(&self, ctx: &Context<'_>, id: ID) -> Result<Activity> {
        let actor = actor(ctx).await?;
        let a = domain(ctx).activities().get(actor, parse_id(&id, "activity")?).await.gql()?;
        Ok(activities_out(ctx, vec![a]).await?.remove(0))
    }

    /// A fresh, short-lived code for attendees to scan (the organiser and staff).
    async fn activity_check_in_code(&self, ctx: &Context<'_>, activity_id: ID) -> Result<CheckInCode> {
        let actor = actor(ctx).await?;
        let code = domain(ctx).activities().check_in_code(actor, parse_id(&activity_id, "activity")?).await.gql()?;
        Ok(CheckInCode { code: code.code, expires_at: code.expires_at })
    }

    /// Who signed up and who came.
    async fn activity_attendance(&self, ctx: &Context<'_>, activity_id: ID) -> Result<Vec<Signup>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx).activities().attendance(actor, parse_id(&activity_id, "activity")?).await.gql()?;
        signups_out(ctx, list).await
    }

    /// All of the community's suggestions for its staff; your own otherwise.
    async fn suggestions(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<Suggestion>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx).duties().suggestions(actor, parse_id(&community_id, "community")?).await.gql()?;
        suggestions_out(ctx, list).await
    }

    /// The community's households, to assign to members (staff).
    async fn households(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<Household>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx).duties().households(actor, parse_id(&community_id, "community")?).await.gql()?;
        Ok(list
            .into_iter()
            .map(|h| Household { id: h.id.into(), label: h.label, building: h.building, grid: h.grid })
            .collect())
    }

    /// A member's progress on the year's 四个一. `communityId` defaults to the
    /// community the member is reported in to.
    async fn yearly_duties(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
        year: i32,
        community_id: Option<ID>,
    ) -> Result<YearlyDuties> {
        let actor = actor(ctx).await?;
        let member = parse_id(&member_id, "member")?;
        let community = community_id.as_ref().map(|c| parse_id(c, "community")).transpose()?;
        let duties = domain(ctx).duties().yearly(actor, community, member, year).await.gql()?;
        Ok(duties_out(ctx, vec![duties]).await?.remove(0))
    }

    /// Every reported-in member's 四个一 for a year, the most behind first (staff).
    async fn duties_overview(&self, ctx: &Context<'_>, community_id: ID, year: i32) -> Result<Vec<YearlyDuties>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx).duties().overview(actor, parse_id(&community_id, "community")?, year).await.gql()?;
        duties_out(ctx, list).await
    }
}

#[Object]
impl PostMutation {
    /// The secretary sets up a volunteer post (因人设岗).
    async fn create_post(&self, ctx: &Context<'_>, input: CreatePostInput) -> Result<Post> {
        let actor = actor(ctx).await?;
        let new = p::NewPost {
            community_id: parse_id(&input.community_id, "community")?,
            title: input.title,
            kind: input.kind.into(),
            description: input.description,
            capacity: input.capacity,
            term_start: input.term_start,
            term_end: input.term_end,
        };
        let post = domain(ctx).posts().create(actor, new).await.gql()?;
        post_out(ctx, post).await
    }

    /// A member takes a place on a post; a full post answers `CONFLICT`.
    async fn claim_post(&self, ctx: &Context<'_>, post_id: ID) -> Result<Post> {
        let actor = actor(ctx).await?;
        let post = domain(ctx).posts().claim(actor, parse_id(&post_id, "post")?).await.gql()?;
        post_out(ctx, post).await
    }

    async fn leave_post(&self, ctx: &Context<'_>, post_id: ID) -> Result<Post> {
        let actor = actor(ctx).await?;
        let post = domain(ctx).posts().leave(actor, parse_id(&post_id, "post")?).await.gql()?;
        post_out(ctx, post).await
    }

    async fn retire_post(&self, ctx: &Context<'_>, post_id: ID) -> Result<Post> {
        let actor = actor(ctx).await?;
        let post = domain(ctx).posts().retire(actor, parse_id(&post_id, "post")?).await.gql()?;
        post_out(ctx, post).await
    }

    /// Secretaries and grid workers organise activities.
    async fn create_activity(&self, ctx: &Context<'_>, input: CreateActivityInput) -> Result<Activity> {
        let actor = actor(ctx).await?;
        let ActivityPlan { title, kind, place, starts_at, ends_at, capacity } = input.plan;
        let new = domain::activities::NewActivity {
            community_id: parse_id(&input.community_id, "community")?,
            title,
            kind: kind.into(),
            place,
            starts_at,
            ends_at,
            capacity,
            service_minutes: input.service_minutes,
        };
        let a = domain(ctx).activities().create(actor, new).await.gql()?;
        Ok(activities_out(ctx, vec![a]).await?.remove(0))
    }

    /// Members, volunteers and residents sign up; a full activity answers `CONFLICT`.
    async fn sign_up_for_activity(&self, ctx: &Context<'_>, activity_id: ID) -> Result<Signup> {
        let actor = actor(ctx).await?;
        let s = domain(ctx).activities().sign_up(actor, parse_id(&activity_id, "activity")?).await.gql()?;
        signup_out(ctx, s).await
    }

    async fn cancel_activity_signup(&self, ctx: &Context<'_>, activity_id: ID) -> Result<Activity> {
        let actor = actor(ctx).await?;
        let a = domain(ctx).activities().cancel_signup(actor, parse_id(&activity_id, "activity")?).await.gql()?;
        Ok(activities_out(ctx, vec![a]).await?.remove(0))
    }

    /// Checks in with the code scanned from the organiser's phone; records service time.
    async fn check_in(&self, ctx: &Context<'_>, code: String) -> Result<Signup> {
        let actor = actor(ctx).await?;
        let s = domain(ctx).activities().check_in(actor, &code).await.gql()?;
        signup_out(ctx, s).await
    }

    /// A member's reasonable suggestion (合理化建议).
    async fn submit_suggestion(&self, ctx: &Context<'_>, community_id: ID, text: String) -> Result<Suggestion> {
        let actor = actor(ctx).await?;
        let s =
            domain(ctx).duties().submit_suggestion(actor, parse_id(&community_id, "community")?, &text).await.gql()?;
        Ok(suggestions_out(ctx, vec![s]).await?.remove(0))
    }

    async fn answer_suggestion(&self, ctx: &Context<'_>, suggestion_id: ID, answer: String) -> Result<Suggestion> {
        let actor = actor(ctx).await?;
        let s = domain(ctx)
            .duties()
            .answer_suggestion(actor, parse_id(&suggestion_id, "suggestion")?, &answer)
            .await
            .gql()?;
        Ok(suggestions_out(ctx, vec![s]).await?.remove(0))
    }

    /// The secretary assigns households for a member to keep in touch with
    /// in a year; returns every household assigned to them that year.
    async fn assign_households(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        member_id: ID,
        household_ids: Vec<ID>,
        year: i32,
    ) -> Result<Vec<ID>> {
        let actor = actor(ctx).await?;
        let ids = household_ids.iter().map(|h| parse_id(h, "household")).collect::<Result<Vec<_>>>()?;
        let assigned = domain(ctx)
            .duties()
            .assign_households(
                actor,
                parse_id(&community_id, "community")?,
                parse_id(&member_id, "member")?,
                &ids,
                year,
            )
            .await
            .gql()?;
        Ok(assigned.into_iter().map(ID::from).collect())
    }

    /// A member records a contact with one of their households.
    async fn log_household_contact(
        &self,
        ctx: &Context<'_>,
        household_id: ID,
        note: String,
        contacted_at: Option<DateTime<Utc>>,
    ) -> Result<HouseholdContact> {
        let actor = actor(ctx).await?;
        let c = domain(ctx)
            .duties()
            .log_household_contact(actor, parse_id(&household_id, "household")?, &note, contacted_at)
            .await
            .gql()?;
        Ok(HouseholdContact {
            id: c.id.into(),
            household_id: c.household_id.into(),
            note: c.note,
            contacted_at: c.contacted_at,
        })
    }
}
