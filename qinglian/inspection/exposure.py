"""公开曝光: a confirmed problem publicly named (通报 or the press), so it counts at the year end.

Seed 004: 对查处的有代表性的典型案例，适时在全区卫生系统公开通报和在新闻媒体曝光。将被通报和媒体
曝光的人和事纳入单位目标管理考核，并作为年终考核的依据. The exposure is kept on the finding itself
(``evidence["exposed_on"]`` and ``evidence["exposed_in"]``, where it was published), and the
year-end assessment (:mod:`qinglian.inspection.assessment`) counts a unit's exposures by then.
Persistence functions are keyword-only, take the session first, flush but never commit, and
never import Prefect.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from models.enums import FindingStatus
from models.finding import Finding
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.errors import NotFoundError, QinglianError

EXPOSED_ON = "exposed_on"
EXPOSED_IN = "exposed_in"
_MAX_WHERE = 300
# Only a problem found true can be named in public: not one still being verified, nor dismissed.
_EXPOSABLE = frozenset(
    {
        FindingStatus.confirmed,
        FindingStatus.rectifying,
        FindingStatus.rectified,
        FindingStatus.closed,
    }
)


def record_exposure(
    *, session: Session, campaign_id: int, finding_id: int, exposed_on: date, exposed_in: str
) -> Finding:
    """Mark a confirmed finding as publicly exposed on ``exposed_on`` in ``exposed_in``.

    Recording the same exposure again changes nothing; a later one replaces the earlier.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    finding = session.get(Finding, finding_id)
    if finding is None or finding.campaign_id != campaign_id:
        raise NotFoundError(
            f"专项活动 {campaign_id} 没有问题线索 {finding_id}",
            f"campaign {campaign_id} has no finding {finding_id}",
        )
    if finding.status not in _EXPOSABLE:
        raise QinglianError(
            f"问题线索 {finding_id} 尚未查实（{finding.status}），不能公开曝光",
            f"finding {finding_id} is not confirmed ({finding.status}) and cannot be exposed",
        )
    where = " ".join(exposed_in.split())
    if not where or len(where) > _MAX_WHERE:
        raise QinglianError(
            f"须写明通报或曝光的载体（1 到 {_MAX_WHERE} 个字符）",
            f"say where it was published (1 to {_MAX_WHERE} characters)",
        )
    if exposed_on < max(campaign.start_on, finding.found_on):
        raise QinglianError(
            f"曝光日期 {exposed_on} 早于问题发现日期 {finding.found_on}",
            f"the exposure date {exposed_on} is before the finding ({finding.found_on})",
        )
    evidence = {**finding.evidence, EXPOSED_ON: exposed_on.isoformat(), EXPOSED_IN: where}
    if evidence != finding.evidence:
        finding.evidence = evidence  # a new dict: the JSON column sees the change
        session.add(finding)
        session.flush()
    return finding
