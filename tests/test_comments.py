"""Comments on items and actions: plain text, links, mentions of members, edits kept, managers hide,
viewers comment, and nothing a person typed shown as markup."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from peerplan.models import Comment, Membership, Notification, Role, collaboration
from peerplan.models.notifications import Kind
from peerplan.notify.context import unread_count
from peerplan.operations import comments
from peerplan.pages.collaboration import discussion


def test_a_planner_comments_on_an_action_and_sees_it_on_the_action_page(client, planner, action):
    client.force_login(planner)
    response = client.post(
        f"/app/mitigations/{action.pk}/", {"body": "First draft is ready.\n\nSee https://example.org/jd."}
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/app/mitigations/{action.pk}/#comment-{comment.pk}"
    page = client.get(f"/app/mitigations/{action.pk}/").content.decode()
    assert "<p>First draft is ready.</p>" in page
    # The link is a link; the full stop after it is not part of it.
    assert '<a href="https://example.org/jd" rel="nofollow noopener noreferrer">https://example.org/jd</a>.' in page


def test_a_viewer_reads_and_comments_on_an_item_and_the_plan_is_unchanged(client, viewer, item):
    client.force_login(viewer)
    before = (item.applies, item.note, item.priority)
    response = client.post(f"/app/items/{item.pk}/comments/", {"body": "Does this apply to the night team?"})
    assert response.status_code == 302
    page = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "Does this apply to the night team?" in page
    item.refresh_from_db()
    assert (item.applies, item.note, item.priority) == before


def test_an_empty_comment_is_refused_with_a_message(client, planner, action):
    client.force_login(planner)
    response = client.post(f"/app/mitigations/{action.pk}/", {"body": "   "})
    assert response.status_code == 400
    assert "Write your comment before posting it." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_comment_too_long_is_refused_and_the_text_is_given_back(client, planner, action):
    client.force_login(planner)
    text = "x" * (collaboration.BODY_MAX_LENGTH + 1)
    response = client.post(f"/app/mitigations/{action.pk}/", {"body": text})
    assert response.status_code == 400
    assert "at most 5,000 characters" in response.content.decode()
    assert text in response.content.decode()  # nothing typed is lost
    assert not Comment.objects.exists()


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)> [a](javascript:alert(1)) javascript:alert(2)'


def test_script_in_a_comment_is_shown_as_text_on_the_page(client, planner, manager, action):
    client.force_login(planner)
    client.post(f"/app/mitigations/{action.pk}/", {"body": SCRIPT + " @Maya"})
    page = client.get(f"/app/mitigations/{action.pk}/").content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert 'href="javascript' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # In the mentioned person's notifications too.
    client.force_login(manager)
    listing = client.get("/app/notifications/").content.decode()
    assert "&lt;script&gt;" in listing and "<script>alert" not in listing


def test_only_http_links_are_made_links():
    html = collaboration.render_comment('javascript:alert(1) ftp://x.org http://ok.org/a?b=1&c="2"')
    assert html.count("<a ") == 1
    assert '<a href="http://ok.org/a?b=1&amp;c=" rel' in html
    assert "javascript:alert(1)" in html and 'href="javascript' not in html


def test_a_mention_of_a_member_is_marked_and_tells_them(client, planner, manager, action):
    client.force_login(planner)
    client.post(f"/app/mitigations/{action.pk}/", {"body": "@Maya can you check the pay band?"})
    comment = Comment.objects.get()
    assert list(comment.mentions.all()) == [manager]
    page = client.get(f"/app/mitigations/{action.pk}/").content.decode()
    assert '<strong class="mention">@Maya</strong> can you check' in page
    notification = Notification.objects.get(recipient=manager)
    assert notification.kind == Kind.MENTIONED
    assert notification.target_url() == f"/app/mitigations/{action.pk}/#comment-{comment.pk}"


def test_a_mention_of_someone_outside_the_organisation_is_plain_text(client, planner, outsider, action):
    client.force_login(planner)
    client.post(f"/app/mitigations/{action.pk}/", {"body": "ask @Otto or @otto@example.org about it"})
    comment = Comment.objects.get()
    assert not comment.mentions.exists()
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert (
        "<p>ask @Otto or @otto@example.org about it</p>"
        in client.get(f"/app/mitigations/{action.pk}/").content.decode()
    )


def test_a_mention_by_email_address_and_by_full_name_works(org_a, planner, manager, action):
    manager.last_name = "Okafor"
    manager.save()
    assert collaboration.find_mentions("Thanks @Maya Okafor!", org_a) == [manager]
    assert collaboration.find_mentions("cc @maya@example.org", org_a) == [manager]
    assert collaboration.find_mentions("email maya@example.org", org_a) == []


def test_the_owner_of_an_action_hears_of_a_comment_on_it(client, manager, planner, action):
    client.force_login(manager)
    client.post(f"/app/mitigations/{action.pk}/", {"body": "Good progress."})
    notification = Notification.objects.get(recipient=planner)
    assert notification.kind == Kind.COMMENTED
    assert "Maya commented on your action “Write the PSW job description”" == notification.subject_line()


def test_the_author_edits_their_comment_and_the_earlier_text_is_kept(client, planner, action):
    client.force_login(planner)
    client.post(f"/app/mitigations/{action.pk}/", {"body": "Draft due Friday"})
    comment = Comment.objects.get()
    response = client.post(f"/app/comments/{comment.pk}/edit/", {"body": "Draft due Monday"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Draft due Monday" and comment.edited_at is not None
    assert [h.body for h in comment.history.order_by("history_date")] == ["Draft due Friday", "Draft due Monday"]
    edit_page = client.get(f"/app/comments/{comment.pk}/edit/").content.decode()
    assert "Earlier versions" in edit_page and "Draft due Friday" in edit_page
    assert "· edited" in client.get(f"/app/mitigations/{action.pk}/").content.decode()


def test_nobody_else_edits_or_deletes_a_comment_not_even_a_manager(client, planner, manager, action):
    comment = comments.post_comment(
        body="Mine", by=planner, organisation=action.checklist.organisation, mitigation=action
    )
    client.force_login(manager)
    assert client.post(f"/app/comments/{comment.pk}/edit/", {"body": "Theirs"}).status_code == 403
    assert client.post(f"/app/comments/{comment.pk}/delete/").status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Mine"


def test_the_author_deletes_their_comment_and_the_history_keeps_the_removal(client, planner, action):
    comment = comments.post_comment(
        body="Oops, wrong action", by=planner, organisation=action.checklist.organisation, mitigation=action
    )
    client.force_login(planner)
    assert "Delete your comment?" in client.get(f"/app/comments/{comment.pk}/delete/").content.decode()
    response = client.post(f"/app/comments/{comment.pk}/delete/")
    assert response["Location"] == f"/app/mitigations/{action.pk}/#comments"
    assert not Comment.objects.exists()
    assert Comment.history.filter(id=comment.pk, history_type="-").exists()


def test_a_manager_hides_a_comment_with_a_reason_shown_in_its_place(client, planner, manager, action):
    comment = comments.post_comment(
        body="Something personal about a colleague",
        by=planner,
        organisation=action.checklist.organisation,
        mitigation=action,
    )
    client.force_login(manager)
    refused = client.post(f"/app/comments/{comment.pk}/hide/", {"reason": " "})
    assert refused.status_code == 400 and "Say why you are hiding" in refused.content.decode()
    client.post(f"/app/comments/{comment.pk}/hide/", {"reason": "Personal information"})
    page = client.get(f"/app/mitigations/{action.pk}/").content.decode()
    assert "Hidden by Maya: Personal information" in page
    assert "Something personal about a colleague" not in page
    assert comment.history.earliest().body == "Something personal about a colleague"


def test_a_planner_cannot_hide_a_comment(client, planner, manager, action):
    comment = comments.post_comment(
        body="Hello", by=manager, organisation=action.checklist.organisation, mitigation=action
    )
    client.force_login(planner)
    assert client.post(f"/app/comments/{comment.pk}/hide/", {"reason": "no"}).status_code == 403
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_the_page_offers_the_members_to_mention_for_scripts_and_says_how_without(
    client, planner, manager, outsider, action
):
    client.force_login(planner)
    page = client.get(f"/app/mitigations/{action.pk}/").content.decode()
    assert '<script id="mention-names" type="application/json">' in page
    assert '"handle": "Maya"' in page and "Otto" not in page
    assert "Mention a member with @ and their name" in page


def test_the_members_to_mention_follow_a_change_of_name_or_a_new_member_at_once(org_a, planner, manager, action):
    # Kept by each process for the members' names as read (pages/collaboration.py): a change is a new key.
    def handles():
        return [s["handle"] for s in discussion(membership=None, mitigation=action)["mention_suggestions"]]

    assert "Maya" in handles()
    manager.first_name = "Mira"
    manager.save()
    assert "Mira" in handles() and "Maya" not in handles()
    newcomer = get_user_model().objects.create_user("zed", "zed@example.org", "pw", first_name="Zed")
    Membership.objects.create(organisation=org_a, user=newcomer, role=Role.VIEWER)
    assert "Zed" in handles()


def test_a_name_two_members_share_mentions_the_one_it_is_suggested_for(org_a, planner, action):
    # The suggestions and a posted comment's mentions read the members in one order (collaboration.members_of,
    # pages.dashboard.MEMBERS): the shared name is offered for one of them, and the other by their email.
    first = get_user_model().objects.create_user("sam1", "sam.b@example.org", "pw", first_name="Sam", last_name="Lee")
    second = get_user_model().objects.create_user("sam2", "sam.a@example.org", "pw", first_name="Sam", last_name="Lee")
    for person in (first, second):
        Membership.objects.create(organisation=org_a, user=person, role=Role.VIEWER)
    offered = {s["handle"]: s["name"] for s in discussion(membership=None, mitigation=action)["mention_suggestions"]}
    assert offered["Sam Lee"] == "Sam Lee"
    by_email = {"sam.a@example.org": second, "sam.b@example.org": first}
    (other_email,) = set(by_email) & set(offered)
    comment = comments.post_comment(body="Over to @Sam Lee", by=planner, organisation=org_a, mitigation=action)
    assert list(comment.mentions.all()) == [person for email, person in by_email.items() if email != other_email]


@pytest.mark.parametrize("count", [2, 20])
def test_the_action_page_runs_a_fixed_number_of_queries(
    client, org_a, planner, manager, action, count, django_assert_num_queries
):
    for n in range(count):
        comments.post_comment(body=f"Note {n} for @Maya", by=planner, organisation=org_a, mitigation=action)
    client.force_login(planner)
    unread_count(planner)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), action (with checklist, organisation, owner, suggestion, phase), the challenges it
    # addresses (with finding, theme, category), the person's membership with the action; the members (read once: the in-place
    # edit's, whose membership is the loader's, and those one can mention); the latest changes (the action's history, what was merged into it, the owners they
    # name); comments with authors, their mentions; attachments; removed attachments.
    # (tests/test_action_page.py pins it with files and challenges too.)
    with django_assert_num_queries(12):
        response = client.get(f"/app/mitigations/{action.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="comment ') == count


def test_comments_on_another_organisations_action_are_refused(client, outsider, action):
    client.force_login(outsider)
    assert client.post(f"/app/mitigations/{action.pk}/", {"body": "hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_a_comment_sends_no_email_from_the_page(client, planner, manager, action):
    client.force_login(planner)
    client.post(f"/app/mitigations/{action.pk}/", {"body": "@Maya please look"})
    assert mail.outbox == []  # send_notifications sends it, never the page


def test_comments_go_with_their_action(org_a, planner, action):
    comments.post_comment(body="x", by=planner, organisation=org_a, mitigation=action)
    action.delete()
    assert not Comment.objects.exists()


def test_a_hidden_comment_cannot_be_edited_back_into_view(client, planner, manager, action):
    comment = comments.post_comment(
        body="Rude", by=planner, organisation=action.checklist.organisation, mitigation=action
    )
    comments.hide_comment(comment=comment, by=manager, reason="Not kind")
    client.force_login(planner)
    response = client.post(f"/app/comments/{comment.pk}/edit/", {"body": "Rude again"})
    assert response.status_code == 400 and "A manager hid this comment" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Rude" and comment.is_hidden
