//! People who exist before they use WeChat: residents imported from the
//! household roster (an elder without a smartphone can still be ordered for)
//! and staff appointed by phone. Such a person has no WeChat account yet
//! (`wechat_bound` is false, and their openid is a placeholder no sign-in
//! can present); when someone signs in and binds the same phone, that WeChat
//! account becomes the person.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use crate::entities::{community_role, join_request, office_role, order, session, street_role, user};
use crate::error::{DomainError, DomainResult};
use crate::org::User;

/// The placeholder openid of a person without WeChat. WeChat's openids never
/// contain a colon, and sign-in refuses this prefix.
pub const UNBOUND_PREFIX: &str = "unbound:";

fn placeholder_openid() -> String {
    format!("{UNBOUND_PREFIX}{}", uuid::Uuid::new_v4().simple())
}

/// A new person without WeChat, with their name and (unverified) phone.
pub(crate) async fn new_person<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    phone: Option<&str>,
    now: DateTime<Utc>,
) -> DomainResult<user::Model> {
    Ok(user::ActiveModel {
        openid: Set(placeholder_openid()),
        display_name: Set(name.to_owned()),
        phone: Set(phone.map(Into::into)),
        wechat_bound: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// The person an appointment by phone names: the one person with that phone,
/// or a new person without WeChat. Several people sharing the phone (a
/// family's) cannot be told apart: the appointment must name the user.
pub(crate) async fn person_by_phone<C: ConnectionTrait>(
    conn: &C,
    phone: &str,
    name: &str,
    now: DateTime<Utc>,
) -> DomainResult<i64> {
    let phone = crate::validate::phone("phone", phone)?;
    let name = crate::validate::required_text("name", name, 30)?;
    let found = user::Entity::find().filter(user::Column::Phone.eq(&phone)).all(conn).await?;
    match found.as_slice() {
        [] => Ok(new_person(conn, &name, Some(&phone), now).await?.id),
        [one] => Ok(one.id),
        _ => Err(DomainError::bad_input("phone", "这个手机号登记在几个人名下，请按用户指定要任命的人")),
    }
}

/// What binding a phone did.
#[derive(Clone, Debug)]
pub enum PhoneBound {
    /// The phone is stored on the signed-in account.
    Stored(User),
    /// The account became the person the community registered with this
    /// phone; the account's sessions (`ended`) ended, and signing in again
    /// continues as that person.
    Linked { person: User, ended: Vec<String> },
}

/// After a verified phone: when exactly one person without WeChat has it,
/// and the signed-in account is new (holds no role and has asked or ordered
/// nothing), the WeChat account moves onto that person, in one transaction,
/// and the account's sessions end. Otherwise the phone is stored as is.
pub(crate) async fn bind_phone(d: &crate::Domain, user_id: i64, phone: &str) -> DomainResult<PhoneBound> {
    let phone = crate::validate::phone("phone", phone)?;
    let now = d.clock.now();
    let txn = d.db.begin().await?;
    let me = user::Entity::find_by_id(user_id).one(&txn).await?.ok_or(DomainError::NotFound("user"))?;
    let waiting = user::Entity::find()
        .filter(user::Column::Phone.eq(&phone))
        .filter(user::Column::WechatBound.eq(false))
        .filter(user::Column::Id.ne(user_id))
        .all(&txn)
        .await?;
    let person = match waiting.as_slice() {
        [one] if me.wechat_bound && is_fresh(&txn, user_id).await? => Some(one.clone()),
        _ => None,
    };
    let Some(person) = person else {
        let model = user::ActiveModel {
            id: Set(user_id),
            phone: Set(Some(phone)),
            phone_verified_at: Set(Some(now)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        txn.commit().await?;
        return Ok(PhoneBound::Stored(model.into()));
    };
    // The openid is unique: retire the new account's before the person takes it.
    user::ActiveModel {
        id: Set(user_id),
        openid: Set(format!("linked:{user_id}:{}", uuid::Uuid::new_v4().simple())),
        unionid: Set(None),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let linked = user::ActiveModel {
        id: Set(person.id),
        openid: Set(me.openid),
        unionid: Set(me.unionid),
        wechat_bound: Set(true),
        phone_verified_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let ended: Vec<String> = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokeReason, Expr::value("wechat account linked to a registered person"))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(account = user_id, person = person.id, "wechat account linked to a registered person");
    Ok(PhoneBound::Linked { person: linked.into(), ended })
}

/// Whether an account holds nothing yet: no role, no join request, no order.
async fn is_fresh<C: ConnectionTrait>(conn: &C, user_id: i64) -> DomainResult<bool> {
    let roles = community_role::Entity::find().filter(community_role::Column::UserId.eq(user_id)).one(conn).await?;
    let street = street_role::Entity::find().filter(street_role::Column::UserId.eq(user_id)).one(conn).await?;
    let office = office_role::Entity::find().filter(office_role::Column::UserId.eq(user_id)).one(conn).await?;
    let asked = join_request::Entity::find().filter(join_request::Column::UserId.eq(user_id)).one(conn).await?;
    let ordered = order::Entity::find().filter(order::Column::PlacedBy.eq(user_id)).one(conn).await?;
    Ok(roles.is_none() && street.is_none() && office.is_none() && asked.is_none() && ordered.is_none())
}
