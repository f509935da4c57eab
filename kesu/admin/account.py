"""The signed-in user's own account: changing their password (linked from the top bar, not a menu entry)."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user, login_user

from forms.login import PasswordChangeForm
from kesu.admin.signed_in import HiddenSignedInPage
from kesu.extensions import db


class AccountView(HiddenSignedInPage, BaseView):
    @expose("/", methods=("GET", "POST"))
    def index(self):
        """A new password ends the account's other sessions; this one goes on under the new session token."""
        user = current_user._get_current_object()
        form = PasswordChangeForm(user)
        if form.validate_on_submit():
            user.set_password(form.new_password.data)
            db.session.commit()
            login_user(user)
            flash(_("密码已修改。此账号在其他设备或浏览器上的登录已失效。"), "success")
            return redirect(url_for("admin.index"))
        return self.render("admin/change_password.html", form=form), (400 if form.errors else 200)
