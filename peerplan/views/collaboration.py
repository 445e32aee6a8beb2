"""Working together: comments and mentions, attachments, and each person's notifications."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerplan.access import EDIT, MANAGE, READ, load_attachment, load_comment, load_item, load_mitigation
from peerplan.figures import tracking
from peerplan.lib import uploads
from peerplan.lib.errors import Refused
from peerplan.models import MitigationStatus
from peerplan.models.notifications import CHANNELS, Channel, Kind, Notification, preferences
from peerplan.notify import deliver
from peerplan.operations import attachments, comments, notifications
from peerplan.pages import checklists as checklist_pages
from peerplan.pages import collaboration as collaboration_pages
from peerplan.pages import dashboard

NOTIFICATIONS_PAGE_SIZE = 30


def _comment_refused(request, error, *, body, action, back, status=400):
    """Show the refusal with what the person typed, ready to send again: nothing typed is lost."""
    return render(
        request,
        "peerplan/collaboration/comment_form.html",
        {"error": str(error), "body": body, "action": action, "back": back, "comment": None},
        status=status,
    )


# Comments ------------------------------------------------------------------------------------------


@login_required
@require_POST
def item_comment(request, pk):
    """Post a comment on an item. Viewers comment too: a comment changes no plan."""
    item, membership = load_item(request, pk, need=READ)
    body = request.POST.get("body", "")
    try:
        comment = comments.post_comment(body=body, by=request.user, organisation=item.checklist.organisation, item=item)
    except Refused as error:
        return _comment_refused(
            request, error, body=body, action=request.path, back=reverse("peerplan:item", args=[item.pk]) + "#comments"
        )
    messages.success(request, "Your comment is posted.")
    return redirect(comment.target_url())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mitigation_discussion(request, pk):
    """The action's home: what it is, the challenges it addresses, its status, owner and due date (changed
    in place), its comments, files and latest changes; every link naming an action outside the lists opens
    it. POST adds a comment."""
    mitigation, membership = load_mitigation(request, pk, need=READ)
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            comment = comments.post_comment(
                body=body, by=request.user, organisation=mitigation.checklist.organisation, mitigation=mitigation
            )
        except Refused as error:
            return _comment_refused(request, error, body=body, action=request.path, back=request.path + "#comments")
        messages.success(request, "Your comment is posted.")
        return redirect(comment.target_url())
    # Read once for the handles one can mention and the members the action can be given to.
    members = dashboard.MEMBERS(organisation_id=mitigation.checklist.organisation_id)
    return render(
        request,
        "peerplan/collaboration/mitigation.html",
        {
            "mitigation": mitigation,
            "checklist": mitigation.checklist,
            "organisation": mitigation.checklist.organisation,
            "membership": membership,
            "today": tracking.today(),
            "statuses": MitigationStatus.choices,
            "next": request.path,
            **checklist_pages.action_page(mitigation, membership, request.user, members),
            **collaboration_pages.discussion(membership=membership, mitigation=mitigation, members=members),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_edit(request, pk):
    comment, membership = load_comment(request, pk)
    if not comment.is_by(request.user):
        raise PermissionDenied(comment.change_refused(request.user))
    # A hidden comment is refused by the operation, with what the person typed shown back.
    body = request.POST.get("body", "") if request.method == "POST" else comment.body
    if request.method == "POST":
        try:
            comments.edit_comment(comment=comment, body=body, by=request.user)
        except Refused as error:
            return _comment_refused(request, error, body=body, action=request.path, back=comment.target_url())
        messages.success(request, "Your comment is changed. The earlier text is kept in its history.")
        return redirect(comment.target_url())
    return render(
        request,
        "peerplan/collaboration/comment_form.html",
        {
            "comment": comment,
            "body": body,
            "action": request.path,
            "back": comment.target_url(),
            "earlier": comment.earlier_versions(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_delete(request, pk):
    comment, membership = load_comment(request, pk)
    if not comment.is_by(request.user):
        raise PermissionDenied(comment.change_refused(request.user))
    back = comment.target_url().split("#")[0] + "#comments"
    refused = comment.change_refused(request.user)  # hidden by a manager: it stays, with the reason
    if request.method == "POST" and not refused:
        comments.delete_comment(comment=comment, by=request.user)
        messages.success(request, "Your comment is deleted.")
        return redirect(back)
    return render(
        request,
        "peerplan/collaboration/comment_delete.html",
        {"comment": comment, "back": back, "refused": refused},
        status=400 if refused and request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_hide(request, pk):
    """Managers hide a comment with a reason, shown in its place."""
    comment, membership = load_comment(request, pk, need=MANAGE)
    error = None
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            comments.hide_comment(comment=comment, by=request.user, reason=reason)
        except Refused as refusal:
            error = str(refusal)
        else:
            messages.success(request, "The comment is hidden. Its text is kept in the history.")
            return redirect(comment.target_url())
    return render(
        request,
        "peerplan/collaboration/comment_hide.html",
        {"comment": comment, "reason": reason, "error": error, "back": comment.target_url()},
        status=400 if error else 200,
    )


# Attachments ---------------------------------------------------------------------------------------


def _upload_size_limited(view):
    """Puts uploads.UploadSizeLimit first among the upload handlers before anything reads the body.
    CsrfViewMiddleware reads request.POST before a view runs, which would take in the whole upload first, so
    the view is exempt from it and checked by csrf_protect once the limit is in place (Django's "Modifying
    upload handlers on the fly"). The token comes before the file in the form, so it is read either way."""
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def limited(request, *args, **kwargs):
        request.upload_handlers.insert(0, uploads.UploadSizeLimit(request))
        return protected(request, *args, **kwargs)

    return limited


def _attach(request, *, item=None, mitigation=None, back):
    upload = request.FILES.get("file")
    refused = request.upload_handlers[0].refused  # the UploadSizeLimit put first by _upload_size_limited
    if refused:
        messages.error(request, f"The file was not attached. {refused}")
        return redirect(back)
    if upload is None:
        messages.error(request, "Choose a file to attach.")
        return redirect(back)
    organisation = (item or mitigation).checklist.organisation
    try:
        attachment = attachments.add_attachment(
            upload=upload, by=request.user, organisation=organisation, item=item, mitigation=mitigation
        )
    except Refused as error:
        messages.error(request, f"The file was not attached. {error}")
        return redirect(back)
    messages.success(request, f"“{attachment.name}” is attached.")
    return redirect(back)


@_upload_size_limited
@login_required
@require_POST
def item_attachment_add(request, pk):
    item, membership = load_item(request, pk, need=EDIT)
    return _attach(request, item=item, back=reverse("peerplan:item", args=[item.pk]) + "#attachments")


@_upload_size_limited
@login_required
@require_POST
def mitigation_attachment_add(request, pk):
    mitigation, membership = load_mitigation(request, pk, need=EDIT)
    return _attach(
        request,
        mitigation=mitigation,
        back=reverse("peerplan:mitigation_discussion", args=[mitigation.pk]) + "#attachments",
    )


# What an attachment may do when it reaches a browser: nothing. No script, no styles, no frames, no
# plugins, and a sandbox so that even a browser that ignored Content-Disposition would give it no origin.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@login_required
@require_safe
def attachment_download(request, pk):
    attachment, membership = load_attachment(request, pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name)
    # The type decided from the content on upload, never the browser's word; anything else is bytes.
    response["Content-Type"] = (
        attachment.content_type
        if attachment.content_type in {t for _, t in uploads.ALLOWED.values()}
        else "application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def attachment_delete(request, pk):
    attachment, membership = load_attachment(request, pk, need=EDIT)
    if not attachment.can_delete(request.user, membership):
        raise PermissionDenied("Only the person who added a file, or a manager, can remove it.")
    if attachment.mitigation_id:
        back = reverse("peerplan:mitigation_discussion", args=[attachment.mitigation_id]) + "#attachments"
    else:
        back = reverse("peerplan:item", args=[attachment.item_id]) + "#attachments"
    if request.method == "POST":
        name = attachment.name
        attachments.delete_attachment(attachment=attachment, by=request.user, membership=membership)
        messages.success(request, f"“{name}” is removed. The history records who removed it and when.")
        return redirect(back)
    return render(request, "peerplan/collaboration/attachment_delete.html", {"attachment": attachment, "back": back})


# Notifications: each person's own --------------------------------------------------------------------


def _own_notification(request, pk):
    """One of the person's own notifications that they may see now; anyone else's is a 404."""
    return get_object_or_404(Notification.objects.visible_to(request.user).for_listing(), pk=pk)


@login_required
@require_safe
def notification_list(request):
    listing = Notification.objects.visible_to(request.user).for_listing()
    page = Paginator(listing, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    waiting = Notification.objects.hidden_by_two_factor(request.user).count()
    return render(request, "peerplan/collaboration/notifications.html", {"page": page, "waiting": waiting})


@login_required
@require_safe
def notification_open(request, pk):
    """Follow a notification to its object, marking it read on the way."""
    notification = _own_notification(request, pk)
    notifications.mark_read(user=request.user, pk=notification.pk)
    return redirect(notification.target_url())


@login_required
@require_POST
def notification_read(request, pk):
    notification = _own_notification(request, pk)
    notifications.mark_read(user=request.user, pk=notification.pk)
    return redirect("peerplan:notifications")


@login_required
@require_POST
def notification_read_all(request):
    count = notifications.mark_read(user=request.user)
    messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked as read.")
    return redirect("peerplan:notifications")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_preferences(request):
    """Per kind: in PeerPlan and by email, in PeerPlan only, or off."""
    current = preferences(request.user)
    error = None
    if request.method == "POST":
        choices = {kind: request.POST.get(kind, current[kind]) for kind in Kind.values}
        try:
            notifications.set_preferences(user=request.user, choices=choices)
        except ValueError:
            error = "Choose one of the options listed for each kind of notification."
            current = choices
        else:
            messages.success(request, "Your notification settings are saved.")
            return redirect("peerplan:notification_preferences")
    rows = [
        (
            kind,
            Kind(kind).label,
            [(c, Channel(c).label) for c in channels],
            current[kind],
        )
        for kind, channels in CHANNELS.items()
    ]
    return render(
        request,
        "peerplan/collaboration/preferences.html",
        {"rows": rows, "error": error},
        status=400 if error else 200,
    )


# The token in the link is the credential (signed, expiring, for one person and one kind), so this works
# without signing in, and mail programs' one-click unsubscribe (RFC 8058) POSTs without a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    found = deliver.read_unsubscribe_token(token)
    if found is None:
        return render(request, "peerplan/collaboration/unsubscribe.html", {"invalid": True}, status=404)
    user, kind = found
    done = False
    if request.method == "POST":
        notifications.set_preferences(
            user=user,
            choices={kind: Channel.OFF if kind == Kind.DIGEST else Channel.IN_APP},
        )
        done = True
    return render(
        request,
        "peerplan/collaboration/unsubscribe.html",
        {
            "kind_label": Kind(kind).label,
            "done": done,
            "digest": kind == Kind.DIGEST,
        },
    )
