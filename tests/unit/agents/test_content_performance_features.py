"""Copy features are read from the text as written: hand-labelled examples, including near misses."""

import pandas as pd

from agents.content_performance.features import FEATURES, copy_features


def features_of(headline, body, long_copy_min_chars=40):
    return copy_features(pd.Series([headline]), pd.Series([body]), long_copy_min_chars).iloc[0].to_dict()


def test_each_feature_on_hand_labelled_copy():
    assert features_of("Save 20% Today", "Short.") == {
        "has_number": True,
        "has_question": False,
        "has_call_to_action": False,
        "has_urgency": True,
        "is_long_copy": False,
    }
    assert features_of("Need New Shoes?", "Shop now and find your fit.") == {
        "has_number": False,
        "has_question": True,
        "has_call_to_action": True,
        "has_urgency": False,
        "is_long_copy": False,
    }
    long_body = "A body that is clearly longer than forty characters in all."
    assert features_of("Acme Running", long_body)["is_long_copy"] is True
    assert features_of("Acme Running", long_body, long_copy_min_chars=len(long_body))["is_long_copy"] is False


def test_words_inside_other_words_are_not_features():
    # 'shopping' is not 'shop', 'todays' not 'today', 'together' not 'get'
    assert features_of("Shopping together", "Our todays collection.") == dict.fromkeys(FEATURES, False)


def test_length_counts_the_body_only_and_missing_text_has_no_features():
    headline = "x" * 100
    assert features_of(headline, "short")["is_long_copy"] is False
    frame = copy_features(pd.Series([None]), pd.Series([None]), 10)
    assert frame.iloc[0].to_dict() == dict.fromkeys(FEATURES, False)


def test_the_demo_phrase_pools_carry_exactly_their_feature():
    from demo import creatives

    for feature, phrases in {**creatives.FEATURE_HEADLINES}.items():
        for phrase in phrases:
            found = features_of(phrase, "", long_copy_min_chars=1000)
            assert {f for f, v in found.items() if v} == {feature}, phrase
    for feature, phrases in creatives.FEATURE_SENTENCES.items():
        for phrase in phrases:
            found = features_of("", phrase, long_copy_min_chars=1000)
            assert {f for f, v in found.items() if v} == {feature}, phrase
    neutral = [*creatives.NEUTRAL_HEADLINES, *creatives.SHORT_DESCRIPTIONS, *creatives.LONG_DESCRIPTIONS]
    neutral += [*creatives.META_TITLES, *creatives.SHORT_BODIES, *creatives.LONG_BODIES]
    for phrase in neutral:
        assert not any(features_of(phrase, "", long_copy_min_chars=1000).values()), phrase
