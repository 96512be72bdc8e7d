"""What the course ships: one declaration per dataset.

Each entry says where the file is, how to read and clean it, what its licence allows
and what it teaches. The prose data card (origin, columns, sampling) is
``datasets/<name>/SOURCE.md``; this module is its machine-readable summary, and the
pandera schema is the contract every loaded frame must meet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandera.pandas as pa

Redistribution = Literal["clear", "non-commercial", "teaching-research", "unclear"]

@dataclass(frozen=True)
class DatasetSpec:
    """How to read one shipped dataset and what its licence allows.

    ``skill_areas`` are competency ids (``cxacademy.competencies``).
    ``redistribution`` is "clear" only for public domain, CC0, CC BY or data shipped
    inside an MIT/Apache package; graded assignments prefer those (COURSE.md).
    """

    name: str
    file: str
    title: str
    licence: str
    redistribution: Redistribution
    skill_areas: tuple[str, ...]
    sha256: str
    schema: pa.DataFrameSchema
    caveat: str = ""
    read_options: dict = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    dates: dict[str, str] = field(default_factory=dict)
    booleans: dict[str, tuple[str, str]] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    zero_pad: dict[str, int] = field(default_factory=dict)


def _likert(low: int, high: int) -> pa.Column:
    """An integer answer on a fixed scale (ratings, Likert items, percentages)."""
    return pa.Column(int, pa.Check.in_range(low, high))


_CAT = pa.Column("category")
_CAT_NULL = pa.Column("category", nullable=True)
_STR = pa.Column(str)
_STR_NULL = pa.Column(str, nullable=True)
_DATE = pa.Column("datetime64[us]")
_DATE_NULL = pa.Column("datetime64[us]", nullable=True)
_DATE_UTC = pa.Column("datetime64[us, UTC]")

_AIRLINE_TOUCHPOINTS = (
    "inflight_wifi_service",
    "departure_arrival_time_convenient",
    "ease_of_online_booking",
    "gate_location",
    "food_and_drink",
    "online_boarding",
    "seat_comfort",
    "inflight_entertainment",
    "on_board_service",
    "leg_room_service",
    "baggage_handling",
    "checkin_service",
    "inflight_service",
    "cleanliness",
)

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="cfpb_complaints",
            file="complaints_sample.csv.gz",
            title="CFPB Consumer Complaint Database (sample of 6,623 complaints)",
            licence="US public domain (CFPB open government data)",
            redistribution="clear",
            skill_areas=("research", "metrics", "operations"),
            sha256="4dddb5b23b3a76e49feb2b5a717f3bc3be7eeac0c64d22dbccf3f347448622c7",
            rename={"consumer_consent_provided": "consumer_consent"},
            dates={"date_received": "%Y/%m/%d", "date_sent_to_company": "%Y/%m/%d"},
            booleans={"timely_response": ("Yes", "No"), "consumer_disputed": ("Yes", "No")},
            categories=(
                "product",
                "sub_product",
                "issue",
                "sub_issue",
                "company_public_response",
                "state",
                "tags",
                "consumer_consent",
                "submitted_via",
                "company_response_to_consumer",
            ),
            schema=pa.DataFrameSchema(
                {
                    "date_received": _DATE,
                    "product": _CAT,
                    "sub_product": _CAT_NULL,
                    "issue": _CAT,
                    "sub_issue": _CAT_NULL,
                    "consumer_complaint_narrative": _STR_NULL,
                    "company_public_response": _CAT_NULL,
                    "company": _STR,
                    "state": _CAT_NULL,
                    "zip_code": _STR_NULL,
                    "tags": _CAT_NULL,
                    "consumer_consent": _CAT_NULL,
                    "submitted_via": _CAT,
                    "date_sent_to_company": _DATE,
                    "company_response_to_consumer": _CAT,
                    "timely_response": pa.Column(bool),
                    "consumer_disputed": pa.Column("boolean", nullable=True),
                    "complaint_id": pa.Column(int, unique=True),
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="womens_ecommerce_reviews",
            file="womens_clothing_ecommerce_reviews.csv.gz",
            title="Women's E-Commerce Clothing Reviews",
            licence="CC0 1.0 (public domain dedication)",
            redistribution="clear",
            skill_areas=("research", "metrics"),
            sha256="471110b1fd241cb109a6cb1ec95760e84b071c5ce2df0f6f30876c0b941a1767",
            drop=("unnamed_0",),
            rename={"recommended_ind": "recommended"},
            booleans={"recommended": ("1", "0")},
            categories=("division_name", "department_name", "class_name"),
            schema=pa.DataFrameSchema(
                {
                    "clothing_id": pa.Column(int),
                    "age": pa.Column(int, pa.Check.in_range(18, 99)),
                    "title": _STR_NULL,
                    "review_text": _STR_NULL,
                    "rating": _likert(1, 5),
                    "recommended": pa.Column(bool),
                    "positive_feedback_count": pa.Column(int, pa.Check.ge(0)),
                    "division_name": _CAT_NULL,
                    "department_name": _CAT_NULL,
                    "class_name": _CAT_NULL,
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="hcahps_hospital_2022",
            file="hcahps_hospital_2022_wide.csv.gz",
            title="HCAHPS patient-experience survey, hospital level, 2022 (CMS)",
            licence="US public domain (CMS Provider Data Catalog)",
            redistribution="clear",
            skill_areas=("research", "metrics"),
            sha256="3f24190d5f5734ee0260fbc60ef5587681ee4e1116dc0f56295c5b32310e9a9d",
            caveat="Hospitals with at least 100 completed surveys only; not a census.",
            read_options={"dtype": {"facility_id": str, "zip_code": str}},
            dates={"period_start": "%Y-%m-%d", "period_end": "%Y-%m-%d"},
            categories=("state",),
            zero_pad={"zip_code": 5, "facility_id": 6},
            schema=pa.DataFrameSchema(
                {
                    "facility_id": pa.Column(str, pa.Check.str_length(6, 6), unique=True),
                    "facility_name": _STR,
                    "city": _STR,
                    "state": _CAT,
                    "zip_code": pa.Column(str, pa.Check.str_length(5, 5)),
                    "county": _STR_NULL,
                    "n_completed_surveys": pa.Column(int, pa.Check.ge(100)),
                    "response_rate_pct": _likert(0, 100),
                    "period_start": _DATE,
                    "period_end": _DATE,
                    r".+_pct$": pa.Column(int, pa.Check.in_range(0, 100), regex=True),
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="twitter_airline_sentiment",
            file="airline_tweets.csv.gz",
            title="Twitter US Airline Sentiment (February 2015)",
            licence="CC BY-NC-SA 4.0 (as listed on Kaggle); tweet text also under X/Twitter terms",
            redistribution="non-commercial",
            skill_areas=("research", "metrics"),
            sha256="e3da30a98d1a5e0a8dd62c11fcce60a16f86888dbe9b78c2365157f60d2744f6",
            rename={"negativereason": "negative_reason"},
            dates={"tweet_created": "%m/%d/%Y %H:%M"},
            categories=("airline_sentiment", "negative_reason", "airline"),
            schema=pa.DataFrameSchema(
                {
                    "tweet_id": pa.Column(int),
                    "airline_sentiment": _CAT,
                    "negative_reason": _CAT_NULL,
                    "airline": _CAT,
                    "text": _STR,
                    "tweet_created": _DATE,
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="airline_passenger_satisfaction",
            file="airline_passenger_satisfaction_test.csv.gz",
            title="Airline Passenger Satisfaction survey (Kaggle test split)",
            licence="unclear (no open licence stated upstream)",
            redistribution="unclear",
            skill_areas=("journey", "metrics"),
            sha256="9e3946273a8b6cf684da6a3eac3791cbd6bba2399c1a296590ab0aa2fb513200",
            caveat="Licence and origin unverified: optional practice only, never graded.",
            drop=("unnamed_0",),
            categories=("gender", "customer_type", "type_of_travel", "class", "satisfaction"),
            schema=pa.DataFrameSchema(
                {
                    "id": pa.Column(int, unique=True),
                    "gender": _CAT,
                    "customer_type": _CAT,
                    "age": pa.Column(int),
                    "type_of_travel": _CAT,
                    "class": _CAT,
                    "flight_distance": pa.Column(int, pa.Check.ge(0)),
                    **{name: _likert(0, 5) for name in _AIRLINE_TOUCHPOINTS},
                    "departure_delay_in_minutes": pa.Column(int, pa.Check.ge(0)),
                    "arrival_delay_in_minutes": pa.Column(float, nullable=True),
                    "satisfaction": _CAT,
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="bpi2012_loan_applications",
            file="bpi_challenge_2012_events.csv.gz",
            title="BPI Challenge 2012 loan-application event log",
            licence="CC BY 4.0 (4TU.ResearchData); cite van Dongen (2012)",
            redistribution="clear",
            skill_areas=("journey", "operations"),
            sha256="602466c8dd02d12d9e8d50b6c9648674ff16ca1fb4749f05e72e5f651214792d",
            read_options={"dtype": {"resource": "Int64"}},
            dates={"case_reg_date": "ISO8601", "timestamp": "ISO8601"},
            categories=("activity", "lifecycle"),
            schema=pa.DataFrameSchema(
                {
                    "case_id": pa.Column(int),
                    "case_reg_date": _DATE_UTC,
                    "case_amount_requested": pa.Column(int, pa.Check.ge(0)),
                    "activity": _CAT,
                    "lifecycle": _CAT,
                    "timestamp": _DATE_UTC,
                    "resource": pa.Column("Int64", nullable=True),
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="call_center_anonymous_bank_1999",
            file="anonymous_bank_calls_1999_02.csv.gz",
            title="Anonymous Bank (Israel) call-centre log, February 1999",
            licence="no explicit licence; published by Technion for research and teaching",
            redistribution="teaching-research",
            skill_areas=("operations", "metrics", "journey"),
            sha256="5aee7f8e12fcbda8ef2c5540d7b2a34385ba91521e1bf9aea5e459e666442da8",
            caveat="Teaching and research use; attribute Guedj & Mandelbaum (Technion).",
            read_options={"dtype": {"customer_id": "Int64"}},
            dates={"date": "%Y-%m-%d"},
            categories=("vru_line", "type", "outcome", "server"),
            schema=pa.DataFrameSchema(
                {
                    "vru_line": _CAT,
                    "call_id": pa.Column(int),
                    "customer_id": pa.Column("Int64"),
                    "priority": pa.Column(int, pa.Check.isin([0, 1, 2])),
                    "type": _CAT,
                    "date": _DATE,
                    "vru_entry": _STR,
                    "vru_exit": _STR,
                    "vru_time": pa.Column(int),
                    "q_start": _STR,
                    "q_exit": _STR,
                    "q_time": pa.Column(int, pa.Check.ge(0)),
                    "outcome": pa.Column("category", pa.Check.isin(["AGENT", "HANG", "PHANTOM"])),
                    "ser_start": _STR,
                    "ser_exit": _STR,
                    "ser_time": pa.Column(int, pa.Check.ge(0)),
                    "server": _CAT,
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="cdnow_purchases",
            file="cdnow_master.csv.gz",
            title="CDNOW purchase log, Q1-1997 cohort (Fader & Hardie)",
            licence="no explicit data licence; shipped in the MIT-licensed Lifetimes package, "
            "free for teaching and research (Fader & Hardie)",
            redistribution="teaching-research",
            skill_areas=("metrics", "strategy"),
            sha256="e44f88c4b3ce71086dadffbbc5e0cb8455779eaff9e2119ff965b3918153475d",
            dates={"date": "%Y-%m-%d"},
            schema=pa.DataFrameSchema(
                {
                    "customer_id": pa.Column(int, pa.Check.ge(1)),
                    "date": _DATE,
                    "n_cds": pa.Column(int, pa.Check.ge(0)),
                    "amount_usd": pa.Column(float, pa.Check.ge(0)),
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="fevs_2018_respondents",
            file="fevs_2018_prdf_sample.csv.gz",
            title="Federal Employee Viewpoint Survey 2018, respondent sample (OPM)",
            licence="US public domain (OPM public release data file)",
            redistribution="clear",
            skill_areas=("leadership", "metrics"),
            sha256="45efb910d10d0321b999be0dbb83a3fca6e5dfec15bfc97e365f9eb2a83036af",
            caveat="20 % stratified sample; 'do not know' answers imputed with the item median.",
            rename={"random": "respondent_id", "postwt": "weight"},
            booleans={"leaving_intent": ("yes", "no")},
            categories=(
                "agency",
                "agency_name",
                "level1",
                "level1_name",
                "dsex",
                "deduc",
                "dfedten",
                "dsuper",
                "dminority",
            ),
            schema=pa.DataFrameSchema(
                {
                    "leaving_intent": pa.Column(bool),
                    "respondent_id": pa.Column(int, unique=True),
                    "agency": _CAT,
                    "agency_name": _CAT,
                    "level1": _CAT,
                    "level1_name": _CAT,
                    "dsex": _CAT,
                    "deduc": _CAT,
                    "dfedten": _CAT,
                    "dsuper": _CAT,
                    "dminority": _CAT,
                    "weight": pa.Column(float, pa.Check.gt(0)),
                    r"^q\d+$": pa.Column(int, pa.Check.in_range(1, 5), regex=True),
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="hotel_bookings",
            file="hotel_bookings.csv.gz",
            title="Hotel booking demand (Antonio, Almeida & Nunes, 2019)",
            licence="CC BY 4.0 (Data in Brief); attribute the three authors",
            redistribution="clear",
            skill_areas=("journey", "metrics", "operations"),
            sha256="8ebfc1930d17dc0687a956df961ebb0e588e1a2a2d0d979442a6352673cd94c5",
            read_options={"dtype": {"children": "Int64", "agent": "Int64", "company": "Int64"}},
            dates={"reservation_status_date": "%Y-%m-%d"},
            booleans={"is_canceled": ("1", "0"), "is_repeated_guest": ("1", "0")},
            categories=(
                "hotel",
                "arrival_date_month",
                "meal",
                "country",
                "market_segment",
                "distribution_channel",
                "reserved_room_type",
                "assigned_room_type",
                "deposit_type",
                "customer_type",
                "reservation_status",
            ),
            schema=pa.DataFrameSchema(
                {
                    "hotel": _CAT,
                    "is_canceled": pa.Column(bool),
                    "lead_time": pa.Column(int, pa.Check.ge(0)),
                    "arrival_date_year": pa.Column(int, pa.Check.in_range(2015, 2017)),
                    "arrival_date_month": _CAT,
                    "arrival_date_week_number": pa.Column(int, pa.Check.in_range(1, 53)),
                    "arrival_date_day_of_month": pa.Column(int, pa.Check.in_range(1, 31)),
                    "stays_in_weekend_nights": pa.Column(int, pa.Check.ge(0)),
                    "stays_in_week_nights": pa.Column(int, pa.Check.ge(0)),
                    "adults": pa.Column(int, pa.Check.ge(0)),
                    "children": pa.Column("Int64", nullable=True),
                    "babies": pa.Column(int, pa.Check.ge(0)),
                    "meal": _CAT,
                    "country": _CAT_NULL,
                    "market_segment": _CAT,
                    "distribution_channel": _CAT,
                    "is_repeated_guest": pa.Column(bool),
                    "previous_cancellations": pa.Column(int, pa.Check.ge(0)),
                    "previous_bookings_not_canceled": pa.Column(int, pa.Check.ge(0)),
                    "reserved_room_type": _CAT,
                    "assigned_room_type": _CAT,
                    "booking_changes": pa.Column(int, pa.Check.ge(0)),
                    "deposit_type": _CAT,
                    "agent": pa.Column("Int64", nullable=True),
                    "company": pa.Column("Int64", nullable=True),
                    "days_in_waiting_list": pa.Column(int, pa.Check.ge(0)),
                    "customer_type": _CAT,
                    "adr": pa.Column(float),
                    "required_car_parking_spaces": pa.Column(int, pa.Check.ge(0)),
                    "total_of_special_requests": pa.Column(int, pa.Check.ge(0)),
                    "reservation_status": _CAT,
                    "reservation_status_date": _DATE,
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="servicenow_incident_log",
            file="incident_event_log.csv.gz",
            title="Incident management process enriched event log (ServiceNow)",
            licence="CC BY 4.0 (UCI Machine Learning Repository); cite Amaral et al. (2018)",
            redistribution="clear",
            skill_areas=("operations", "leadership", "metrics"),
            sha256="0c01d29ba449ead5ae432ff74cbd3330c0301d2bd4e888d9ae767c320d342aa9",
            read_options={"na_values": ["?"], "keep_default_na": True},
            dates={
                "opened_at": "%d/%m/%Y %H:%M",
                "sys_created_at": "%d/%m/%Y %H:%M",
                "sys_updated_at": "%d/%m/%Y %H:%M",
                "resolved_at": "%d/%m/%Y %H:%M",
                "closed_at": "%d/%m/%Y %H:%M",
            },
            categories=(
                "incident_state",
                "contact_type",
                "impact",
                "urgency",
                "priority",
                "assignment_group",
                "notify",
                "closed_code",
                "category",
            ),
            schema=pa.DataFrameSchema(
                {
                    "number": _STR,
                    "incident_state": _CAT,
                    "active": pa.Column(bool),
                    "reassignment_count": pa.Column(int, pa.Check.ge(0)),
                    "reopen_count": pa.Column(int, pa.Check.ge(0)),
                    "sys_mod_count": pa.Column(int, pa.Check.ge(0)),
                    "made_sla": pa.Column(bool),
                    "opened_at": _DATE,
                    "sys_updated_at": _DATE,
                    "resolved_at": _DATE_NULL,
                    "closed_at": _DATE_NULL,
                    "priority": _CAT,
                    "assignment_group": _CAT_NULL,
                },
                strict=False,
            ),
        ),
        DatasetSpec(
            name="telco_churn",
            file="telco_customer_churn.csv.gz",
            title="IBM Telco Customer Churn sample (fictional company)",
            licence="Apache-2.0 (IBM sample repository)",
            redistribution="clear",
            skill_areas=("metrics", "strategy"),
            sha256="5d7705674054d56a73bdddb44f616e3f31891beff653c84538d50f7816adf52f",
            caveat="Describes a fictional telco invented by IBM for teaching: not real customers.",
            read_options={"na_values": [" "]},
            booleans={
                "partner": ("Yes", "No"),
                "dependents": ("Yes", "No"),
                "phone_service": ("Yes", "No"),
                "paperless_billing": ("Yes", "No"),
                "churn": ("Yes", "No"),
                "senior_citizen": ("1", "0"),
            },
            categories=(
                "gender",
                "multiple_lines",
                "internet_service",
                "online_security",
                "online_backup",
                "device_protection",
                "tech_support",
                "streaming_tv",
                "streaming_movies",
                "contract",
                "payment_method",
            ),
            schema=pa.DataFrameSchema(
                {
                    "customer_id": pa.Column(str, unique=True),
                    "gender": _CAT,
                    "senior_citizen": pa.Column(bool),
                    "partner": pa.Column(bool),
                    "dependents": pa.Column(bool),
                    "tenure": pa.Column(int, pa.Check.in_range(0, 72)),
                    "phone_service": pa.Column(bool),
                    "multiple_lines": _CAT,
                    "internet_service": _CAT,
                    "online_security": _CAT,
                    "online_backup": _CAT,
                    "device_protection": _CAT,
                    "tech_support": _CAT,
                    "streaming_tv": _CAT,
                    "streaming_movies": _CAT,
                    "contract": _CAT,
                    "paperless_billing": pa.Column(bool),
                    "payment_method": _CAT,
                    "monthly_charges": pa.Column(float, pa.Check.gt(0)),
                    "total_charges": pa.Column(float, nullable=True),
                    "churn": pa.Column(bool),
                },
                strict=True,
            ),
        ),
        DatasetSpec(
            name="uci_online_retail",
            file="online_retail.csv.gz",
            title="UCI Online Retail, UK gift retailer 2010–2011",
            licence="CC BY 4.0 (UCI Machine Learning Repository); attribute Daqing Chen",
            redistribution="clear",
            skill_areas=("metrics", "journey", "operations"),
            sha256="25c58a4739fbb48b6d4419116e8e415809c206ae544c194a62d9bc2b57b5adca",
            read_options={"dtype": {"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"}},
            dates={"invoice_date": "%Y-%m-%d %H:%M:%S"},
            categories=("country",),
            schema=pa.DataFrameSchema(
                {
                    "invoice_no": _STR,
                    "stock_code": _STR,
                    "description": _STR_NULL,
                    "quantity": pa.Column(int),
                    "invoice_date": _DATE,
                    "unit_price": pa.Column(float),
                    "customer_id": pa.Column("Int64", nullable=True),
                    "country": _CAT,
                },
                strict=True,
            ),
        ),
    )
}
