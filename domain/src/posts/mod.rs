//! 因人设岗: the volunteer posts a community sets up (policy publicity,
//! environment, helping the needy, clinics, legal aid, the four-thirty
//! school, elderly visits, mediation), each with a capacity, and the members
//! who claim them by interest and specialty.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::entities::{post, post_claim};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role, in_reach};
use crate::points::{Credit, SourceKind, credit, rules_for};
use crate::validate;

crate::area_service!(
    /// Volunteer posts (因人设岗) members claim by interest.
    Posts
);

crate::string_enum!(
    /// The posts the seeds name.
    PostKind {
        PolicyPublicity,
        Environment,
        HelpingNeedy,
        Health,
        LegalAid,
        AfterSchoolTutoring,
        ElderlyVisits,
        Mediation,
    }
);

#[derive(Clone, Debug)]
pub struct Post {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub kind: PostKind,
    pub description: String,
    pub capacity: i32,
    pub taken: i32,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub retired: bool,
}

impl TryFrom<post::Model> for Post {
    type Error = DomainError;
    fn try_from(m: post::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            title: m.title,
            kind: PostKind::parse(&m.kind)?,
            description: m.description,
            capacity: m.capacity,
            taken: m.taken,
            term_start: m.term_start,
            term_end: m.term_end,
            retired: m.retired_at.is_some(),
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewPost {
    pub community_id: i64,
    pub title: String,
    pub kind: PostKind,
    pub description: String,
    pub capacity: i32,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
}

impl Posts<'_> {
    pub async fn create(self, actor: &Actor, input: NewPost) -> DomainResult<Post> {
        actor.require(&authority::CREATE_POST, input.community_id)?;
        let title = validate::required_text("title", &input.title, 50)?;
        let description = validate::required_text("description", &input.description, 1000)?;
        if !(1..=200).contains(&input.capacity) {
            return Err(DomainError::bad_input("capacity", "a post takes 1 to 200 members"));
        }
        if input.term_end < input.term_start {
            return Err(DomainError::bad_input("termEnd", "the term must end on or after its start"));
        }
        post::ActiveModel {
            community_id: Set(input.community_id),
            title: Set(title),
            kind: Set(input.kind.as_str().into()),
            description: Set(description),
            capacity: Set(input.capacity),
            taken: Set(0),
            term_start: Set(input.term_start),
            term_end: Set(input.term_end),
            created_by: Set(actor.user_id),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await?
        .try_into()
    }

    async fn visible(self, actor: &Actor, id: i64) -> DomainResult<post::Model> {
        in_reach::<post::Entity>(&self.d.db, actor, id, "post").await
    }

    pub async fn list(self, actor: &Actor, community_id: i64, include_retired: bool) -> DomainResult<Vec<Post>> {
        actor.require_member(community_id)?;
        let mut query = post::Entity::find().filter(post::Column::CommunityId.eq(community_id));
        if !include_retired {
            query = query.filter(post::Column::RetiredAt.is_null());
        }
        query.order_by_asc(post::Column::Id).all(&self.d.db).await?.into_iter().map(Post::try_from).collect()
    }

    /// Members currently holding each post.
    pub async fn holders(self, post_ids: &[i64]) -> DomainResult<HashMap<i64, Vec<i64>>> {
        let mut holders: HashMap<i64, Vec<i64>> = HashMap::new();
        for c in post_claim::Entity::find()
            .filter(post_claim::Column::PostId.is_in(post_ids.iter().copied()))
            .filter(post_claim::Column::LeftAt.is_null())
            .order_by_asc(post_claim::Column::Id)
            .all(&self.d.db)
            .await?
        {
            holders.entry(c.post_id).or_default().push(c.member_id);
        }
        Ok(holders)
    }

    /// Capacity is never exceeded: a seat is taken by one conditional
    /// increment (`taken < capacity`), not by counting first.
    pub async fn claim(self, actor: &Actor, id: i64) -> DomainResult<Post> {
        let row = self.visible(actor, id).await?;
        actor.require(&authority::CLAIM_POST, row.community_id)?;
        if row.retired_at.is_some() {
            return Err(DomainError::invalid_state("this post has been retired"));
        }
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        // One claim at a time per post: a member tapping twice gets one place.
        post::Entity::find_by_id(id).lock_exclusive().one(&txn).await?;
        let holding = post_claim::Entity::find()
            .filter(post_claim::Column::PostId.eq(id))
            .filter(post_claim::Column::MemberId.eq(actor.user_id))
            .filter(post_claim::Column::LeftAt.is_null())
            .one(&txn)
            .await?;
        if holding.is_some() {
            return Err(DomainError::Conflict("you already hold this post".into()));
        }
        let seat = post::Entity::update_many()
            .col_expr(post::Column::Taken, Expr::col(post::Column::Taken).add(1))
            .filter(post::Column::Id.eq(id))
            .filter(Expr::col(post::Column::Taken).lt(Expr::col(post::Column::Capacity)))
            .filter(post::Column::RetiredAt.is_null())
            .exec(&txn)
            .await?;
        if seat.rows_affected == 0 {
            return Err(DomainError::Conflict(format!("all {} places on this post are taken", row.capacity)));
        }
        post_claim::ActiveModel {
            post_id: Set(id),
            community_id: Set(row.community_id),
            member_id: Set(actor.user_id),
            claimed_at: Set(now),
            left_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if actor.has(row.community_id, Role::PartyMember) {
            let rules = rules_for(&txn, row.community_id).await?;
            credit(
                &txn,
                Credit {
                    community_id: row.community_id,
                    member_id: actor.user_id,
                    points: rules.post_claimed,
                    reason: format!("claimed volunteer post “{}”", row.title),
                    kind: SourceKind::Post,
                    source_id: Some(id),
                    key: format!("post:{id}:{}:{}", actor.user_id, now.with_timezone(&Shanghai).year()),
                    created_by: Some(actor.user_id),
                    at: now,
                },
            )
            .await?;
        }
        txn.commit().await?;
        self.visible(actor, id).await?.try_into()
    }

    pub async fn leave(self, actor: &Actor, id: i64) -> DomainResult<Post> {
        self.visible(actor, id).await?;
        let txn = self.d.db.begin().await?;
        let left = self.leave_in(&txn, id, actor.user_id, self.d.clock.now()).await?;
        if !left {
            return Err(DomainError::invalid_state("you do not hold this post"));
        }
        txn.commit().await?;
        self.visible(actor, id).await?.try_into()
    }

    async fn leave_in<C: ConnectionTrait>(
        self,
        conn: &C,
        post_id: i64,
        member: i64,
        now: DateTime<Utc>,
    ) -> DomainResult<bool> {
        let left = post_claim::Entity::update_many()
            .col_expr(post_claim::Column::LeftAt, Expr::value(now))
            .filter(post_claim::Column::PostId.eq(post_id))
            .filter(post_claim::Column::MemberId.eq(member))
            .filter(post_claim::Column::LeftAt.is_null())
            .exec(conn)
            .await?;
        if left.rows_affected > 0 {
            post::Entity::update_many()
                .col_expr(post::Column::Taken, Expr::col(post::Column::Taken).sub(left.rows_affected as i32))
                .filter(post::Column::Id.eq(post_id))
                .exec(conn)
                .await?;
        }
        Ok(left.rows_affected > 0)
    }

    /// When a member leaves the community, their posts free up.
    pub(crate) async fn leave_all<C: ConnectionTrait>(
        self,
        conn: &C,
        member: i64,
        community_id: i64,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let held = post_claim::Entity::find()
            .filter(post_claim::Column::MemberId.eq(member))
            .filter(post_claim::Column::CommunityId.eq(community_id))
            .filter(post_claim::Column::LeftAt.is_null())
            .all(conn)
            .await?;
        for claim in held {
            self.leave_in(conn, claim.post_id, member, now).await?;
        }
        Ok(())
    }

    pub async fn retire(self, actor: &Actor, id: i64) -> DomainResult<Post> {
        let row = self.visible(actor, id).await?;
        actor.require(&authority::RETIRE_POST, row.community_id)?;
        post::Entity::update_many()
            .col_expr(post::Column::RetiredAt, Expr::value(self.d.clock.now()))
            .filter(post::Column::Id.eq(id))
            .filter(post::Column::RetiredAt.is_null())
            .exec(&self.d.db)
            .await?;
        self.visible(actor, id).await?.try_into()
    }
}
